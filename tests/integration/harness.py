"""Building blocks for tests that run the sandbox as a real server.

The fixtures in `conftest.py` are made of these; tests with their own scope
needs (a module-wide sandbox) use them directly:

- `RedirectReceiver`: partners' redirect endpoints on uvicorn, recording every ``msg``
  exactly as it arrived (still URL-encoded) and whether the browser or the sandbox's
  server sent it; each test takes its own `Receiver` (``/<tag>/activation``,
  ``/<tag>/sign``) from the one server.
- `start_sandbox`: the sandbox (`sandbox.app.create_app`) on uvicorn with one test
  partner whose redirect URLs point at a receiver; returns a `RunningSandbox`.
- `Admin`: the ``/_sandbox/`` admin API over HTTP.
- `People`: unique, valid signer identities and their registration requests.
- `RawRequest`, `RewritingTransport`: requests the `digisign` models would refuse
  to build, sent through the real `DigisignClient` so its error mapping is tested
  against the sandbox's answers.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from digisign.client import DigisignClient, DigisignConfig
from digisign.endpoints import Endpoint
from digisign.requests import RegisterRequest
from sandbox.app import SandboxApp, create_app
from sandbox.config import PartnerConfig, SandboxConfig
from sandbox.context import Sandbox
from sandbox.delivery import SERVER_USER_AGENT
from tests.support.servers import serve

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
"""A tiny JPEG (by its magic bytes): good enough for the KTP and the selfie."""

PARTNER_USERID = "admin@lender.test"
PARTNER_TOKEN = "integration-test-token-0001"
PARTNER_KEY = "RBazsYSDTuShYbUG"


# --- the partner's redirect endpoints ---------------------------------------------------


@dataclass(frozen=True)
class ReceivedRedirect:
    """One redirect that reached the receiver.

    Attributes:
        kind: ``"activation"`` or ``"sign"`` (the path it arrived on).
        msg: the raw ``msg`` query value, URL-encoded as sent.
        from_server: True for the sandbox's server-side copy, False for a browser's.
    """

    kind: str
    msg: str
    from_server: bool


class RedirectReceiver:
    """A stand-in for partners' gateways: records redirects, answers a small page.

    One server serves many tests: each test takes its own `Receiver` (``/<tag>/...``
    URLs), so what one test's sandbox delivers never shows up in another's.
    """

    def __init__(self) -> None:
        self._received: list[tuple[str, ReceivedRedirect]] = []
        self._changed = threading.Condition()
        self._tags = itertools.count(1)
        self.base_url = ""
        self.app = Starlette(routes=[Route("/{tag}/{kind}", self._record, methods=["GET"])])

    def receiver(self) -> Receiver:
        """A fresh receiver with URLs of its own."""
        return Receiver(self, f"r{next(self._tags)}")

    def received(self, tag: str, kind: str | None) -> list[ReceivedRedirect]:
        """What arrived so far for ``tag``, optionally of one kind."""
        with self._changed:
            return self._matching(tag, kind)

    def wait_for(
        self, tag: str, count: int, kind: str | None, timeout: float
    ) -> list[ReceivedRedirect]:
        """Wait until ``count`` redirects arrived for ``tag`` (and ``kind``); return them all."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = self._matching(tag, kind)
                remaining = deadline - time.monotonic()
                if len(found) >= count or remaining <= 0:
                    return found
                self._changed.wait(remaining)

    def _matching(self, tag: str, kind: str | None) -> list[ReceivedRedirect]:
        return [r for t, r in self._received if t == tag and (kind is None or r.kind == kind)]

    async def _record(self, request: Request) -> Response:
        raw_query = request.scope["query_string"].decode("latin-1")
        msg = raw_query_value(raw_query, "msg")
        if msg is not None:
            server = request.headers.get("user-agent", "") == SERVER_USER_AGENT
            received = ReceivedRedirect(request.path_params["kind"], msg, from_server=server)
            with self._changed:
                self._received.append((request.path_params["tag"], received))
                self._changed.notify_all()
        return HTMLResponse("<html><body><h1>Terima kasih</h1></body></html>")


@dataclass(frozen=True)
class Receiver:
    """One partner's redirect endpoints on a shared `RedirectReceiver`."""

    server: RedirectReceiver
    tag: str

    @property
    def activation_url(self) -> str:
        """Where the test partner's activation redirects go."""
        return f"{self.server.base_url}/{self.tag}/activation"

    @property
    def sign_url(self) -> str:
        """Where the test partner's sign redirects go."""
        return f"{self.server.base_url}/{self.tag}/sign"

    def received(self, kind: str | None = None) -> list[ReceivedRedirect]:
        """What arrived so far, optionally of one kind."""
        return self.server.received(self.tag, kind)

    def wait_for(
        self, count: int, *, kind: str | None = None, timeout: float = 5.0
    ) -> list[ReceivedRedirect]:
        """Wait until at least ``count`` redirects (of ``kind``) arrived; return them all.

        Raises:
            AssertionError: they did not arrive within ``timeout`` seconds.
        """
        found = self.server.wait_for(self.tag, count, kind, timeout)
        assert len(found) >= count, f"expected {count} {kind or ''} redirects, got {len(found)}"
        return found


def raw_query_value(query: str, name: str) -> str | None:
    """The last ``name=`` value of a raw query string, not URL-decoded."""
    value = None
    for part in query.split("&"):
        key, sep, raw = part.partition("=")
        if sep and unquote(key) == name:
            value = raw
    return value


@contextlib.contextmanager
def run_receiver() -> Iterator[RedirectReceiver]:
    """A `RedirectReceiver` on a real server for the duration of the block."""
    receiver = RedirectReceiver()
    with serve(receiver.app) as base_url:
        receiver.base_url = base_url
        yield receiver


# --- the sandbox ----------------------------------------------------------------------


@dataclass
class RunningSandbox:
    """A sandbox serving on a real port.

    Attributes:
        base_url: where it listens (``http://127.0.0.1:<port>``).
        app: the application; ``app.sandbox`` holds its parts (store, clock, faults).
        partner: the test partner (token, userid, AES key, redirect URLs).
    """

    base_url: str
    app: SandboxApp
    partner: PartnerConfig

    @property
    def sandbox(self) -> Sandbox:
        """The running sandbox's parts."""
        return self.app.sandbox

    def client_config(
        self, *, token: str | None = None, userid: str | None = None
    ) -> DigisignConfig:
        """A `DigisignConfig` for the test partner (or with another token or userid)."""
        return DigisignConfig(
            base_url=self.base_url,
            token=self.partner.token if token is None else token,
            userid=self.partner.userid if userid is None else userid,
        )

    @contextlib.asynccontextmanager
    async def client(self) -> AsyncIterator[DigisignClient]:
        """A `DigisignClient` of the test partner on an HTTP client of its own, for the block."""
        async with httpx.AsyncClient(timeout=10) as http:
            yield DigisignClient(self.client_config(), http=http)


def make_partner(receiver: Receiver | None = None, **changes: Any) -> PartnerConfig:
    """The test partner, redirecting to ``receiver`` when given; ``changes`` override fields."""
    fields: dict[str, Any] = {
        "userid": PARTNER_USERID,
        "token": PARTNER_TOKEN,
        "aes_key": PARTNER_KEY,
        "activation_redirect_url": receiver.activation_url if receiver else "",
        "sign_redirect_url": receiver.sign_url if receiver else "",
    }
    fields.update(changes)
    return PartnerConfig(**fields)


@contextlib.contextmanager
def start_sandbox(
    receiver: Receiver | None = None,
    *,
    config: SandboxConfig | None = None,
    state: str = ":memory:",
    server_redirects: bool = True,
    other_partners: tuple[PartnerConfig, ...] = (),
    **partner_changes: Any,
) -> Iterator[RunningSandbox]:
    """Run a sandbox on a real uvicorn server for the duration of the block.

    Args:
        receiver: where the test partner's redirects go (none: no redirect URLs).
        config: a whole configuration to use instead of the one built from the
            other arguments (its first partner is the test partner).
        state: the SQLite state (``":memory:"`` or a file path).
        server_redirects: whether the sandbox also calls redirect URLs itself.
        other_partners: more partners besides the test partner.
        **partner_changes: fields of the test partner to change (``balances``,
            ``document_id_reuse``, ``early_sign_links``, ``sign_redirect_url``, ...).
    """
    if config is None:
        config = SandboxConfig(
            state=state,
            server_redirects=server_redirects,
            partners=(make_partner(receiver, **partner_changes), *other_partners),
        )
    app = create_app(config)
    with serve(app) as base_url:
        yield RunningSandbox(base_url=base_url, app=app, partner=config.partners[0])


# --- the admin API --------------------------------------------------------------------


@dataclass
class Admin:
    """The sandbox's ``/_sandbox/`` admin API, over HTTP."""

    http: httpx.AsyncClient
    base_url: str

    async def get(self, path: str, **params: Any) -> Any:
        """GET ``/_sandbox/<path>`` and return the JSON (asserting 200)."""
        response = await self.http.get(f"{self.base_url}/_sandbox/{path}", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    async def send(self, method: str, path: str, body: Any = None) -> Any:
        """Call ``/_sandbox/<path>`` with a JSON body and return the JSON (asserting 200)."""
        response = await self.http.request(method, f"{self.base_url}/_sandbox/{path}", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    async def advance_clock(self, seconds: float) -> None:
        """Move the sandbox clock forward."""
        await self.send("POST", "clock/advance", {"seconds": seconds})

    async def set_certificate(self, email: str, state: str) -> None:
        """Make a user's certificate ``expired``, ``revoked`` or ``valid``."""
        await self.send("POST", f"users/{email}/certificate", {"state": state})

    async def fail_identity(self, nik: str, check: str | None) -> None:
        """Make an identity check fail for a NIK (None: pass)."""
        await self.send("PUT", f"identity/{nik}", {"fail": check})

    async def set_balances(self, userid: str, **balances: int) -> None:
        """Set some of a partner's balances."""
        await self.send("PUT", f"partners/{userid}/balances", balances)

    async def totals(self, partner: str | None = None) -> dict[str, int]:
        """The ledger's totals by kind."""
        params = {"partner": partner} if partner else {}
        ledger = await self.get("ledger", **params)
        totals: dict[str, int] = ledger["totals"]
        return totals


# --- people ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A signer's identity: unique in a test run, valid by Digisign's rules."""

    name: str
    email: str
    nik: str
    phone: str
    birth_date: str = "10-03-1978"

    def register_request(self, **changes: Any) -> RegisterRequest:
        """A registration request for this person."""
        fields: dict[str, Any] = {
            "name": self.name,
            "gender": "Perempuan",
            "phone": self.phone,
            "birth_date": self.birth_date,
            "birth_place": "Bandung",
            "nik": self.nik,
            "email": self.email,
            "ktp_photo": JPEG,
            "selfie": JPEG,
        }
        fields.update(changes)
        return RegisterRequest(**fields)

    def register_fields(self, **changes: Any) -> dict[str, Any]:
        """This person's REG-MITRA ``JSONFile`` members (without userid), for raw requests."""
        fields: dict[str, Any] = {
            "jenis_kelamin": "Perempuan",
            "nama": self.name,
            "tlp": self.phone,
            "tgl_lahir": self.birth_date,
            "idktp": self.nik,
            "tmp_lahir": "Bandung",
            "email": self.email,
            "redirect": True,
        }
        fields.update(changes)
        return fields


_NAMES = ("Siti Rahma", "Budi Santoso", "Dewi Lestari", "Agus Salim", "Rina Wati", "Joko Widodo")


@dataclass
class People:
    """Hands out a new `Person` on every call."""

    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def __call__(self, name: str | None = None) -> Person:
        """A person nobody else in this run has been."""
        number = next(self._numbers)
        return Person(
            name=name or _NAMES[number % len(_NAMES)],
            email=f"signer{number}@borrower.test",
            nik=f"3171{number:012d}",
            phone=f"0812{number:08d}",
        )


# --- requests the models would refuse ---------------------------------------------------


@dataclass(frozen=True)
class RawRequest:
    """A request with any fields and files, sent through `DigisignClient` like a model.

    The client only needs ``endpoint``, ``json_file(userid)`` and ``files()``;
    building the request this way skips the models' validation, so the sandbox's
    own checks (and the client's reading of their answers) can be tested.
    """

    endpoint: Endpoint
    fields: dict[str, Any]
    file_parts: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)

    def json_file(self, userid: str) -> dict[str, Any]:
        """``{"JSONFile": {"userid": ..., **fields}}``; a ``userid`` in fields wins."""
        return {"JSONFile": {"userid": userid, **self.fields}}

    def files(self) -> dict[str, tuple[str, bytes, str]]:
        """The file parts."""
        return dict(self.file_parts)


def photos(*, ktp: bytes | None = JPEG, selfie: bytes | None = JPEG) -> dict[str, Any]:
    """Registration file parts; None leaves a photo out."""
    parts = {}
    if ktp is not None:
        parts["fotoktp"] = ("ktp.jpg", ktp, "image/jpeg")
    if selfie is not None:
        parts["fotodiri"] = ("selfie.jpg", selfie, "image/jpeg")
    return parts


class RewritingTransport(httpx.AsyncBaseTransport):
    """An HTTP transport that changes each request before sending it for real."""

    def __init__(self, rewrite: Callable[[httpx.Request], httpx.Request]) -> None:
        self._rewrite = rewrite
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send the rewritten request."""
        await request.aread()
        return await self._inner.handle_async_request(self._rewrite(request))

    async def aclose(self) -> None:
        """Close the real transport."""
        await self._inner.aclose()
