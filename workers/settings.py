"""Settings: the only place in signflow that reads the environment.

Every setting is an environment variable `SIGNFLOW_<NAME>` (or a line in `.env`).
`load_settings()` validates them all at start and fails with a message naming each
bad variable, never its value (most are secrets).

Secrets may come from files instead (Docker and Kubernetes secrets): set
`SIGNFLOW_SECRETS_DIR` to a directory, and a file named like a variable (case
ignored, e.g. `signflow_digisign_token`) supplies its value; dictionaries such as
`SIGNFLOW_ENCRYPTION_KEYS` are JSON in their file too. The environment and `.env`
still win over files. Nothing is read from a secrets directory unless it is named.

The defaults are the embedded default: a dev server on this machine, the sandbox
with the partner values of Digisign's own document, blobs under `var/`.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from activities.blobs_s3 import normalise_prefix
from workers.health import parse_bind_address
from workflows.names import TASK_QUEUE

ENV_PREFIX = "SIGNFLOW_"
SECRETS_DIR_VARIABLE = f"{ENV_PREFIX}SECRETS_DIR"
"""The directory of secret files; read from the process environment only."""

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
    blob_backend: Literal["filesystem", "s3"] = "filesystem"
    """Where photos and PDFs live: files under `blob_root`, or an S3 bucket (`s3`)."""
    blob_root: Path = Path("var/blobs")
    """The filesystem backend's directory."""
    s3_bucket: str | None = None
    """The S3 backend's bucket; required when `SIGNFLOW_BLOB_BACKEND` is `s3`."""
    s3_prefix: str = "signflow/"
    """Every blob lives under this key prefix; references outside it are refused."""
    s3_endpoint_url: str | None = None
    """An S3-compatible server, e.g. `http://minio:9000`; unset is AWS S3."""
    s3_region: str = "ap-southeast-3"
    """The bucket's region (AWS Jakarta by default)."""
    s3_access_key_id: SecretStr | None = None
    """With `SIGNFLOW_S3_SECRET_ACCESS_KEY`; unset is boto3's default credential chain
    (AWS_* variables, IRSA web identity, instance profile)."""
    s3_secret_access_key: SecretStr | None = None
    """See `SIGNFLOW_S3_ACCESS_KEY_ID`."""
    s3_sse: Literal["AES256", "aws:kms", "none"] = "AES256"
    """Server-side encryption of every blob written (they are PII). `aws:kms` uses the
    bucket's KMS key; `none` for servers without encryption (MinIO without a KMS)."""
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
    health_bind_address: str | None = None
    """e.g. `0.0.0.0:8090`: the worker answers `GET /healthz` (200 while it runs) and
    `GET /readyz` (200 once connected to Temporal and polling, 503 before and while
    shutting down), for Kubernetes probes and compose healthchecks."""

    @field_validator(
        "s3_bucket",
        "s3_endpoint_url",
        "s3_access_key_id",
        "s3_secret_access_key",
        "health_bind_address",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # Compose files write `VAR: ${VAR:-}`; an empty value means "not set".
        return None if value == "" else value

    @field_validator("s3_bucket")
    @classmethod
    def _bucket_name(cls, value: str | None) -> str | None:
        if value is not None and not _BUCKET_NAME.fullmatch(value):
            raise ValueError("must be an S3 bucket name (3-63 of a-z, 0-9, '.', '-')")
        return value

    @field_validator("s3_prefix")
    @classmethod
    def _prefix_is_relative(cls, value: str) -> str:
        return normalise_prefix(value)

    @field_validator("s3_endpoint_url")
    @classmethod
    def _endpoint_is_http(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("health_bind_address")
    @classmethod
    def _host_and_port(cls, value: str | None) -> str | None:
        if value is not None:
            parse_bind_address(value)
        return value

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


_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def env_name(field: str) -> str:
    """The environment variable behind a settings field."""
    return f"{ENV_PREFIX}{field.upper()}"


def load_settings(**overrides: object) -> Settings:
    """Read and validate the settings.

    Values come from `overrides`, then the environment, then `.env`, then the files of
    `SIGNFLOW_SECRETS_DIR` when that variable names a directory.

    Raises:
        SettingsError: naming every missing or malformed variable and why, without
            its value.
    """
    secrets_dir = _secrets_dir()
    try:
        settings = Settings(**overrides, _secrets_dir=secrets_dir)  # type: ignore[arg-type]
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
    _check_s3(settings)
    return settings


def _secrets_dir() -> Path | None:
    """The directory named by `SIGNFLOW_SECRETS_DIR`, if any; never an implicit one."""
    value = os.environ.get(SECRETS_DIR_VARIABLE, "")
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_dir():
        what = "is not a directory" if path.exists() else "does not exist"
        raise SettingsError(f"invalid settings:\n  {SECRETS_DIR_VARIABLE}: {path} {what}")
    return path


def _check_s3(settings: Settings) -> None:
    problems = []
    if settings.blob_backend == "s3" and settings.s3_bucket is None:
        problems.append(f"{env_name('s3_bucket')}: required when {env_name('blob_backend')} is s3")
    if (settings.s3_access_key_id is None) != (settings.s3_secret_access_key is None):
        problems.append(
            f"{env_name('s3_access_key_id')} and {env_name('s3_secret_access_key')}: "
            "set both, or neither for the default credential chain"
        )
    if problems:
        raise SettingsError("invalid settings:\n  " + "\n  ".join(problems))
