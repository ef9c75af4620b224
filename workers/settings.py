"""Settings: the only place in signflow that reads the environment.

Every setting is an environment variable `SIGNFLOW_<NAME>` (or a line in `.env`).
`load_settings()` validates them all at start and fails with a message naming each
bad variable, never its value (most are secrets).

The defaults are the embedded default: a dev server on this machine, the sandbox
with the partner values of Digisign's own document, blobs under `var/`.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from workflows.names import TASK_QUEUE

ENV_PREFIX = "SIGNFLOW_"

SANDBOX_TOKEN = "1ecbe0a70545432baf7133a89ab4c026"  # noqa: S105 - Digisign's documented example
SANDBOX_USERID = "admin@ptmitra.com"
SANDBOX_AES_KEY = "RBazsYSDTuShYbUG"
DEV_ENCRYPTION_KEY = base64.b64encode(b"signflow-dev-key-not-for-prod!!!").decode()
"""A fixed key for the embedded default only; production must set its own."""


class SettingsError(ValueError):
    """Settings are missing or malformed; the message names every bad variable."""


class Settings(BaseSettings):
    """Everything signflow's processes need to start.

    Attributes are read from `SIGNFLOW_<ATTRIBUTE>` (upper case), e.g.
    `SIGNFLOW_TEMPORAL_ADDRESS`.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        extra="ignore",
        hide_input_in_errors=True,
        frozen=True,
    )

    # Temporal
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    temporal_tls: bool = False
    temporal_tls_cert: Path | None = None
    temporal_tls_key: Path | None = None
    temporal_api_key: SecretStr | None = None
    temporal_ui_url: str = "http://localhost:8233"
    task_queue: str = TASK_QUEUE

    # Digisign (production: https://api.tandatanganku.com)
    digisign_base_url: str = "http://127.0.0.1:8081"
    digisign_token: SecretStr = SecretStr(SANDBOX_TOKEN)
    digisign_userid: str = SANDBOX_USERID
    digisign_aes_key: SecretStr = SecretStr(SANDBOX_AES_KEY)

    # Gateway
    gateway_host: str = "127.0.0.1"
    gateway_port: int = Field(default=8000, ge=1, le=65535)
    gateway_public_url: str = "http://127.0.0.1:8000"
    event_auth: Literal["bearer", "hmac"] = "bearer"
    event_token: SecretStr | None = SecretStr("signflow-dev-token")
    event_hmac_secret: SecretStr | None = None
    landing_url: str | None = None
    retry_later_delay_seconds: int = Field(default=600, ge=1)
    """How long a lifecycle waits after Digisign answers 91 ("try again in 10 minutes")."""
    activation_path: str = "/digisign/activation"
    """The activation redirect path, as registered with Digisign."""
    sign_path: str = "/digisign/sign"
    """The sign redirect path, as registered with Digisign."""
    codec_token: SecretStr | None = None
    codec_allowed_origins: list[str] = ["http://localhost:8233", "http://127.0.0.1:8233"]

    # Storage and payload encryption
    data_dir: Path = Path("var")
    blob_root: Path = Path("var/blobs")
    encryption_keys: dict[str, SecretStr] = {"dev": SecretStr(DEV_ENCRYPTION_KEY)}
    """Key id → base64 of a 32-byte AES key. Older ids stay listed to read old payloads."""
    encryption_key_id: str = "dev"

    # LOS notifications
    los_hmac_secret: SecretStr | None = None

    # Worker
    max_concurrent_activities: int = Field(default=100, ge=1)
    max_concurrent_workflow_tasks: int = Field(default=100, ge=1)
    graceful_shutdown_seconds: int = Field(default=30, ge=0)

    # Observability
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    metrics_bind_address: str | None = None
    """e.g. `0.0.0.0:9464`: Prometheus metrics of the SDK runtime and signflow."""
    otel_endpoint: str | None = None
    """An OTLP endpoint: when set, workflows and activities are traced."""

    @field_validator("digisign_aes_key")
    @classmethod
    def _aes_key_length(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value().encode()) not in (16, 24, 32):
            raise ValueError("must be 16, 24 or 32 characters")
        return value

    @field_validator("encryption_keys")
    @classmethod
    def _keys_are_aes_256(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        if not value:
            raise ValueError("at least one key is needed")
        for key_id, key in value.items():
            try:
                raw = base64.b64decode(key.get_secret_value(), validate=True)
            except (binascii.Error, ValueError):
                raise ValueError(f"key {key_id!r} is not base64") from None
            if len(raw) != 32:
                raise ValueError(f"key {key_id!r} must decode to 32 bytes")
        return value

    def encryption_key_bytes(self) -> dict[str, bytes]:
        """The payload encryption keys, decoded."""
        return {k: base64.b64decode(v.get_secret_value()) for k, v in self.encryption_keys.items()}


def env_name(field: str) -> str:
    """The environment variable behind a settings field."""
    return f"{ENV_PREFIX}{field.upper()}"


def load_settings(**overrides: object) -> Settings:
    """Read and validate the settings.

    Raises:
        SettingsError: naming every missing or malformed variable and why, without
            its value.
    """
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_input=False, include_url=False):
            field = str(error["loc"][0]) if error["loc"] else "?"
            problems.append(f"{env_name(field)}: {error['msg']}")
        raise SettingsError("invalid settings:\n  " + "\n  ".join(problems)) from None
    if settings.encryption_key_id not in settings.encryption_keys:
        raise SettingsError(
            f"invalid settings:\n  {env_name('encryption_key_id')}: "
            f"{settings.encryption_key_id!r} is not among {env_name('encryption_keys')}"
        )
    if settings.event_auth == "hmac" and settings.event_hmac_secret is None:
        raise SettingsError(
            f"invalid settings:\n  {env_name('event_hmac_secret')}: required when "
            f"{env_name('event_auth')} is hmac"
        )
    return settings
