"""The gateway's configuration: one frozen value, built by `workers/` from settings.

The gateway never reads the environment (DESIGN.md, "Layout"): the composition root
builds a `GatewayConfig` and a Temporal `Client` and hands both to
`gateway.app.create_app`. Secrets are `SecretStr`, so a config printed in a log or a
traceback shows `**********`, never a token or a key.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from workflows.names import TASK_QUEUE

_AES_KEY_SIZES = (16, 24, 32)


def _http_url(value: str, what: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{what} must be an absolute http(s) URL")
    return value


class GatewayConfig(BaseModel):
    """Everything the gateway needs besides its Temporal client.

    Attributes:
        public_url: where the outside world reaches this gateway
            (`https://sign.lender.example`); status URLs are built on it.
        task_queue: the task queue lifecycles are started on.
        temporal_ui_url: the Temporal UI, for the links handed out with each lifecycle.
        namespace: the Temporal namespace (for UI links; the client has its own).
        event_auth: how loan events and the signings API are authenticated:
            `bearer` (`Authorization: Bearer <event_token>`) or `hmac`
            (`X-Signflow-Signature: sha256=<hex HMAC-SHA256 of the raw body>`).
        event_token: the bearer token, required when `event_auth` is `bearer`.
        event_hmac_secret: the HMAC secret, required when `event_auth` is `hmac`.
        digisign_aes_key: the partner's AES key that encrypts Digisign's redirects.
        activation_path: the path of the activation redirect, as registered with Digisign.
        sign_path: the path of the sign redirect, as registered with Digisign.
        landing_url: when set, redirects that went well answer `303 See Other` to this
            URL (with `status=` and, for signing, `document_id=` added) instead of
            the gateway's own page.
        codec_allowed_origins: browser origins allowed to call the codec endpoint
            (the Temporal UI's).
        codec_token: when set, the codec endpoint requires `Authorization: Bearer <token>`.
        max_event_bytes: the largest request body accepted on the event and signings
            API (events carry blob references, never photos).
        temporal_timeout_seconds: how long one call to Temporal may take before the
            gateway answers 503 (the browser must not wait on a sick cluster).
        update_wait_seconds: how long an action (fresh link, contact change) waits for
            the lifecycle's answer; past that it answers 202 and the lifecycle
            publishes the result to the LOS callback as usual.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    public_url: str
    task_queue: str = Field(default=TASK_QUEUE, min_length=1)
    temporal_ui_url: str = "http://localhost:8233"
    namespace: str = Field(default="default", min_length=1)
    event_auth: Literal["bearer", "hmac"] = "bearer"
    event_token: SecretStr | None = None
    event_hmac_secret: SecretStr | None = None
    digisign_aes_key: SecretStr
    activation_path: str = "/digisign/activation"
    sign_path: str = "/digisign/sign"
    landing_url: str | None = None
    codec_allowed_origins: tuple[str, ...] = ("http://localhost:8233",)
    codec_token: SecretStr | None = None
    retry_later_delay: timedelta = timedelta(minutes=10)
    """How long lifecycles wait after Digisign's `91` (the operator's setting; tests and
    load runs shorten it)."""
    max_event_bytes: int = Field(default=256 * 1024, ge=1024)
    temporal_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    update_wait_seconds: float = Field(default=30.0, gt=0, le=120)

    @field_validator("public_url", "temporal_ui_url")
    @classmethod
    def _absolute_urls(cls, value: str) -> str:
        return _http_url(value, "the URL").rstrip("/")

    @field_validator("landing_url")
    @classmethod
    def _landing_url(cls, value: str | None) -> str | None:
        return None if value is None else _http_url(value, "landing_url")

    @field_validator("activation_path", "sign_path")
    @classmethod
    def _paths(cls, value: str) -> str:
        if not value.startswith("/") or "?" in value or "#" in value or len(value) < 2:
            raise ValueError("must be a path starting with / (no query)")
        return value

    @field_validator("digisign_aes_key")
    @classmethod
    def _aes_key(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value().encode("utf-8")) not in _AES_KEY_SIZES:
            raise ValueError("must be 16, 24 or 32 bytes")
        return value

    @field_validator("event_token", "event_hmac_secret", "codec_token")
    @classmethod
    def _not_empty(cls, value: SecretStr | None) -> SecretStr | None:
        # An empty secret would let an empty header through.
        if value is not None and not value.get_secret_value():
            raise ValueError("must not be empty (leave it unset instead)")
        return value

    @model_validator(mode="after")
    def _auth_is_complete(self) -> GatewayConfig:
        if self.event_auth == "bearer" and self.event_token is None:
            raise ValueError("event_token: required when event_auth is bearer")
        if self.event_auth == "hmac" and self.event_hmac_secret is None:
            raise ValueError("event_hmac_secret: required when event_auth is hmac")
        if self.activation_path == self.sign_path:
            raise ValueError("activation_path and sign_path must differ")
        return self
