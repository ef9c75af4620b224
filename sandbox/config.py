"""The sandbox's configuration: partners, identity failures, faults, redirects, state.

A TOML file (``--config sandbox.toml``) and the command line fill one frozen
`SandboxConfig`; with neither, one default partner exists so that
``python -m sandbox`` works out of the box. The file format::

    public_url = "http://127.0.0.1:8081"   # optional: base of the links the sandbox hands out
    server_redirects = true                # also GET every redirect URL from the server side
    seed = 1                               # fault decisions are reproducible with a seed

    [[partners]]
    userid = "admin@lender.co.id"          # the admin e-mail sent as `userid`
    token = "a-long-random-token"          # the bearer token
    aes_key = "RBazsYSDTuShYbUG"           # 16 characters: the redirect cipher key
    activation_redirect_url = "http://127.0.0.1:8000/digisign/activation"
    sign_redirect_url = "http://127.0.0.1:8000/digisign/sign"   # empty: send answers 08
    document_id_reuse = "reject"           # or "replace"
    early_sign_links = "refuse"            # or "page"
    [partners.balances]                    # omitted kinds keep the generous default
    identity_check = 100
    document = 100
    signature = 100
    emeterai = 10

    [identity]                             # NIK -> the identity check that fails for it
    "3199091003880012" = "name"

    [faults]                               # "default" or an endpoint name -> settings
    default = { retry_later = 0.1 }
    register = { drop_after = 0.05, latency_ms = 200 }

Redirect URLs may be relative (``/_sandbox/receiver/sign``): they are resolved
against the sandbox's public URL, which is how the default partner points at the
sandbox's own built-in receiver.
"""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from digisign.cipher import RedirectCipher
from digisign.errors import CipherKeyError

TEST_AES_KEY = "RBazsYSDTuShYbUG"
"""The AES key of Digisign's document examples; the default partner uses it."""

DEFAULT_TOKEN = "1ecbe0a70545432baf7133a89ab4c026"  # noqa: S105 - public, from the document
"""The bearer token of Digisign's header example; the default partner's token."""

DEFAULT_USERID = "admin@ptmitra.com"
"""The admin userid of Digisign's register example; the default partner's userid."""

GENEROUS_BALANCE = 1_000_000
"""Every balance a partner does not configure: enough for any test or demo."""


class BalanceKind(enum.StrEnum):
    """What a partner pays for, each from its own balance."""

    IDENTITY_CHECK = "identity_check"
    """One identity check at the civil registry (registration, re-registration)."""
    DOCUMENT = "document"
    """One document sent with payment 3 (the document owner pays)."""
    SIGNATURE = "signature"
    """One signature made on a document sent with payment 2 (pay per sign)."""
    EMETERAI = "emeterai"
    """One e-meterai stamp."""


class IdentityCheck(enum.StrEnum):
    """An identity check a configured NIK fails, each with Digisign's own `12` answer."""

    NIK_NOT_FOUND = "nik_not_found"
    NAME = "name"
    BIRTHDATE = "birthdate"
    NAME_BIRTHDATE = "name_birthdate"
    SELFIE_NO_FACE = "selfie_no_face"
    KTP_NO_FACE = "ktp_no_face"
    FACE = "face"
    LIGHT = "light"


class DocumentIdReuse(enum.StrEnum):
    """What sending an already used document id does."""

    REJECT = "reject"
    """Answer `17 "Document_id sudah digunakan"`."""
    REPLACE = "replace"
    """Silently replace the old document (and charge again)."""


class EarlySignLinks(enum.StrEnum):
    """What genSignPage does for a signer whose turn has not come."""

    REFUSE = "refuse"
    """Answer `05 "belum waktunya user menandatangani dokumen ini"`."""
    PAGE = "page"
    """Issue the link; the page answers HTTP 406 until the turn comes."""


def default_balances() -> dict[BalanceKind, int]:
    """A generous amount of every balance."""
    return dict.fromkeys(BalanceKind, GENEROUS_BALANCE)


class PartnerConfig(BaseModel):
    """One partner (lender) as Digisign knows it.

    Attributes:
        userid: the admin e-mail the partner sends as ``userid``.
        token: the bearer token (kept out of ``repr``).
        aes_key: the redirect cipher key, 16 characters (kept out of ``repr``).
        activation_redirect_url: where browsers go after activation ("" = nowhere).
        sign_redirect_url: where browsers go after signing ("" = send answers 08).
        balances: what is left of each balance; a zero balance refuses the call.
        document_id_reuse: reject or replace a re-sent document id.
        early_sign_links: refuse or issue sign links before the signer's turn.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    userid: str = Field(min_length=1, max_length=80)
    token: str = Field(min_length=1, repr=False)
    aes_key: str = Field(default=TEST_AES_KEY, repr=False)
    activation_redirect_url: str = ""
    sign_redirect_url: str = ""
    balances: dict[BalanceKind, int] = Field(default_factory=default_balances)
    document_id_reuse: DocumentIdReuse = DocumentIdReuse.REJECT
    early_sign_links: EarlySignLinks = EarlySignLinks.REFUSE

    @field_validator("aes_key")
    @classmethod
    def _usable_key(cls, key: str) -> str:
        try:
            RedirectCipher(key)
        except CipherKeyError:
            raise ValueError("aes_key must be 16, 24 or 32 bytes") from None
        return key

    @field_validator("balances")
    @classmethod
    def _complete_balances(cls, balances: dict[BalanceKind, int]) -> dict[BalanceKind, int]:
        if any(amount < 0 for amount in balances.values()):
            raise ValueError("balances must not be negative")
        return {**default_balances(), **balances}

    @property
    def cipher(self) -> RedirectCipher:
        """The cipher for this partner's redirect ``msg`` values."""
        return RedirectCipher(self.aes_key)


def default_partner() -> PartnerConfig:
    """The partner that exists when none is configured, redirecting to the built-in receiver."""
    return PartnerConfig(
        userid=DEFAULT_USERID,
        token=DEFAULT_TOKEN,
        activation_redirect_url="/_sandbox/receiver/activation",
        sign_redirect_url="/_sandbox/receiver/sign",
    )


class SandboxConfig(BaseModel):
    """Everything a sandbox instance needs to start.

    Attributes:
        host: interface to listen on (the CLI only; the app does not listen itself).
        port: port to listen on (the CLI only).
        state: SQLite file, or ``":memory:"`` for a throwaway sandbox.
        seed: seed of the fault plan's random decisions.
        public_url: base URL of the links handed out; None: the URL of each request.
        server_redirects: also call every redirect URL from the server side.
        redirect_timeout_s: how long a server-side redirect call may take.
        partners: the partners; at least one.
        identity_failures: NIK → the identity check that fails for it.
        faults: ``"default"`` or an endpoint name → fault settings (see `sandbox.faults`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8081, ge=0, le=65535)
    state: str = ":memory:"
    seed: int = 0
    public_url: str | None = None
    server_redirects: bool = True
    redirect_timeout_s: float = Field(default=5.0, gt=0)
    partners: tuple[PartnerConfig, ...] = Field(default_factory=lambda: (default_partner(),))
    identity_failures: dict[str, IdentityCheck] = Field(default_factory=dict)
    faults: dict[str, dict[str, float | int]] = Field(default_factory=dict)

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, url: str | None) -> str | None:
        return url.rstrip("/") if url else None

    @model_validator(mode="after")
    def _partners_distinct(self) -> Self:
        if not self.partners:
            raise ValueError("at least one partner is required")
        for attribute in ("userid", "token"):
            values = [getattr(partner, attribute) for partner in self.partners]
            if len(set(values)) != len(values):
                raise ValueError(f"partner {attribute}s must be distinct")
        return self

    def partner(self, userid: str) -> PartnerConfig | None:
        """The partner whose admin userid is ``userid``, if any."""
        return next((p for p in self.partners if p.userid == userid), None)


def load_config(path: Path, **overrides: Any) -> SandboxConfig:
    """Read a TOML configuration file; ``overrides`` (from the CLI) win over it.

    Raises:
        OSError: the file cannot be read.
        tomllib.TOMLDecodeError: it is not TOML.
        pydantic.ValidationError: it does not describe a valid configuration.
    """
    with path.open("rb") as file:
        data = tomllib.load(file)
    return config_from_mapping(data, **overrides)


def config_from_mapping(data: Mapping[str, Any], **overrides: Any) -> SandboxConfig:
    """Build a configuration from parsed TOML (``[identity]`` becomes identity_failures).

    Raises:
        pydantic.ValidationError: the data does not describe a valid configuration.
    """
    fields = dict(data)
    if "identity" in fields:
        fields["identity_failures"] = fields.pop("identity")
    fields.update({key: value for key, value in overrides.items() if value is not None})
    return SandboxConfig.model_validate(fields)
