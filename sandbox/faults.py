"""Fault injection for the sandbox: a seeded plan of what goes wrong, and the ASGI middleware.

Real Digisign answers `91` under load, sits behind proxies that answer 5xx and HTML
pages, and sometimes loses the connection before or after doing the work. The
sandbox reproduces all of it on demand, so that callers can prove they cope.

How a decision is made. Each API call to an endpoint takes one uniform draw `u` in
[0, 1) and lays the shares end to end, in this fixed order::

    0 ─ retry_later ─ server_error ─ drop_before ─ drop_after ─ malformed ─ (no fault) ─ 1

so the shares are exact probabilities, must add up to at most 1 (checked per
settings object), and raising one never changes when another fires. A second draw
sets the jitter. Every endpoint has its own random streams, seeded from the plan's
seed and the endpoint's name, and every call takes the same number of draws
whatever the settings: the n-th call to an endpoint gets the same decision for the
same seed, however calls to other endpoints interleave with it.

Settings are per endpoint, else the default; an endpoint's own settings replace the
default whole (`FaultPlan.apply` merges a change into what is in force instead).

The middleware must wrap the application outermost (`FaultInjectionMiddleware(app,
plan)`, not `app.add_middleware`): dropping a connection quietly needs uvicorn's own
`send` (see `_drop_connection`).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import itertools
import logging
import math
import random
import threading
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, NamedTuple, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from digisign.endpoints import Endpoint

logger = logging.getLogger("sandbox.faults")

MAX_DELAY_MS = 600_000
"""Latency and jitter are capped at ten minutes: enough to outlast any client timeout."""

_T = TypeVar("_T")


class Fault(enum.Enum):
    """What happens to one API call."""

    NONE = "none"
    RETRY_LATER = "retry_later"  # answered 91 without processing
    SERVER_ERROR = "server_error"  # answered HTTP 500/502/503 without processing
    DROP_BEFORE = "drop_before"  # connection dropped, request not processed
    DROP_AFTER = "drop_after"  # processed (side effects, charges), then connection dropped
    MALFORMED = "malformed"  # answered 200 with an unreadable body, not processed


# The order in which shares are laid on the unit interval (see the module docstring).
_SHARE_ORDER: tuple[tuple[str, Fault], ...] = (
    ("retry_later", Fault.RETRY_LATER),
    ("server_error", Fault.SERVER_ERROR),
    ("drop_before", Fault.DROP_BEFORE),
    ("drop_after", Fault.DROP_AFTER),
    ("malformed", Fault.MALFORMED),
)

Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Millis = Annotated[int, Field(ge=0, le=MAX_DELAY_MS)]


class FaultSettings(BaseModel):
    """The faults of one endpoint (or the default for all). Shares are 0.0 to 1.0."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    retry_later: Share = 0.0
    server_error: Share = 0.0
    drop_before: Share = 0.0
    drop_after: Share = 0.0
    malformed: Share = 0.0
    latency_ms: Millis = 0
    """Added before every call to the endpoint, faulty or not."""
    jitter_ms: Millis = 0
    """A uniform extra of 0 to `jitter_ms` on top of `latency_ms`."""
    lost_browser_redirect: Share = 0.0
    """Share of page submissions whose browser redirect is lost (the server-side copy is
    still sent). Drawn separately: it is not part of the API shares' sum."""

    @model_validator(mode="after")
    def _shares_fit_one_draw(self) -> Self:
        shares = {name: getattr(self, name) for name, _ in _SHARE_ORDER}
        total = math.fsum(shares.values())
        # A tolerance, so that 0.1 + 0.2 + 0.7 is not refused for a rounding error.
        if total > 1.0 + 1e-9:
            used = " + ".join(f"{name} ({value:g})" for name, value in shares.items() if value)
            raise ValueError(
                f"{used} add up to {total:g}; the shares of retry_later, server_error, "
                "drop_before, drop_after and malformed split one draw and must add up to "
                "at most 1"
            )
        return self

    def merged(self, changes: Mapping[str, Any]) -> FaultSettings:
        """These settings with `changes` applied, validated again.

        Raises:
            pydantic.ValidationError: an unknown field or a value out of range.
        """
        return FaultSettings.model_validate({**self.model_dump(), **changes})

    def fault_for(self, draw: float) -> Fault:
        """The fault a uniform draw in [0, 1) selects (see the module docstring)."""
        upper = 0.0
        for name, fault in _SHARE_ORDER:
            upper += getattr(self, name)
            if draw < upper:
                return fault
        return Fault.NONE


class Decision(NamedTuple):
    """What to do with one API call: the fault, after waiting `delay_s` seconds."""

    fault: Fault
    delay_s: float


class FaultPlan:
    """Which faults hit which endpoint, decided reproducibly from a seed. Thread-safe.

    Args:
        seed: seeds every random stream; the same seed and the same calls give the
            same decisions.
        default: the settings of endpoints without their own (no faults if omitted).
        per_endpoint: endpoints with their own settings.
    """

    def __init__(
        self,
        seed: int = 0,
        default: FaultSettings | None = None,
        per_endpoint: Mapping[Endpoint, FaultSettings] | None = None,
    ) -> None:
        self.seed = seed
        self._lock = threading.Lock()
        self._default = default or FaultSettings()
        self._per_endpoint = dict(per_endpoint or {})
        self._streams: dict[tuple[str, Endpoint], random.Random] = {}

    def __repr__(self) -> str:
        return f"FaultPlan(seed={self.seed!r})"

    def settings(self, endpoint: Endpoint) -> FaultSettings:
        """The settings in force for `endpoint`: its own, else the default."""
        with self._lock:
            return self._per_endpoint.get(endpoint, self._default)

    def update(self, endpoint: Endpoint | None, settings: FaultSettings) -> None:
        """Replace the settings of `endpoint`, or the default when `endpoint` is None."""
        with self._lock:
            if endpoint is None:
                self._default = settings
            else:
                self._per_endpoint[endpoint] = settings

    def apply(self, endpoint: Endpoint | None, changes: Mapping[str, Any]) -> FaultSettings:
        """Merge `changes` (e.g. from `parse_fault_spec`) into the settings in force.

        For an endpoint, the changes go on top of what it has now (its own settings, or
        the default) and become its own; for None, on top of the default.

        Returns:
            The new settings.

        Raises:
            pydantic.ValidationError: an unknown field or a value out of range.
        """
        with self._lock:
            if endpoint is None:
                self._default = self._default.merged(changes)
                return self._default
            merged = self._per_endpoint.get(endpoint, self._default).merged(changes)
            self._per_endpoint[endpoint] = merged
            return merged

    def reset(self) -> None:
        """Remove every fault and restart the random streams from the seed."""
        with self._lock:
            self._default = FaultSettings()
            self._per_endpoint.clear()
            self._streams.clear()

    def decide(self, endpoint: Endpoint) -> Decision:
        """The fault and delay for the next API call to `endpoint`."""
        with self._lock:
            settings = self._per_endpoint.get(endpoint, self._default)
            stream = self._stream("api", endpoint)
            # Always two draws, so the jitter setting never shifts later faults.
            draw, jitter = stream.random(), stream.random()
        delay_ms = settings.latency_ms + jitter * settings.jitter_ms
        return Decision(settings.fault_for(draw), delay_ms / 1000)

    def lose_browser_redirect(self, endpoint: Endpoint) -> bool:
        """Whether the next browser redirect of a page is lost.

        Args:
            endpoint: `ACTIVATION_LINK` for activation pages, `SIGN_LINK` for sign pages.
        """
        with self._lock:
            share = self._per_endpoint.get(endpoint, self._default).lost_browser_redirect
            return self._stream("browser", endpoint).random() < share

    def pick(self, endpoint: Endpoint, options: Sequence[_T]) -> _T:
        """One of `options`, from a seeded stream of its own (e.g. which 5xx status)."""
        with self._lock:
            return self._stream("pick", endpoint).choice(options)

    def snapshot(self) -> dict[str, Any]:
        """The plan as JSON-able data: `{"seed", "default", "endpoints": {NAME: ...}}`."""
        with self._lock:
            return {
                "seed": self.seed,
                "default": self._default.model_dump(),
                "endpoints": {
                    endpoint.name: settings.model_dump()
                    for endpoint, settings in sorted(
                        self._per_endpoint.items(), key=lambda item: item[0].name
                    )
                },
            }

    def _stream(self, purpose: str, endpoint: Endpoint) -> random.Random:
        key = (purpose, endpoint)
        if key not in self._streams:
            # Reproducibility is the point, not unpredictability. String seeds hash
            # with SHA-512, so the streams do not depend on PYTHONHASHSEED.
            self._streams[key] = random.Random(f"{self.seed}:{purpose}:{endpoint.name}")  # noqa: S311
        return self._streams[key]


def parse_fault_spec(spec: str) -> tuple[Endpoint | None, dict[str, Any]]:
    """Parse one CLI fault option into an endpoint (None: the default) and field changes.

    Examples: `"retry_later=0.2,latency_ms=50"` (the default for every endpoint),
    `"register:drop_after=0.05"` (one endpoint). Endpoint and field names are
    case-insensitive; `-` may stand for `_`.

    Returns:
        The endpoint (or None) and the changes, with typed, validated values, to pass
        to `FaultPlan.apply`.

    Raises:
        ValueError: an unknown endpoint or field, a field given twice, or a bad value.
    """
    target, sep, body = spec.partition(":")
    if not sep:
        target, body = "", spec
    endpoint = _endpoint_named(target) if target.strip() else None
    changes: dict[str, Any] = {}
    for item in body.split(","):
        name, eq, value = item.partition("=")
        name = name.strip().lower().replace("-", "_")
        if not eq or not name:
            raise ValueError(f"fault spec {spec!r}: expected name=value, got {item.strip()!r}")
        if name not in FaultSettings.model_fields:
            known = ", ".join(FaultSettings.model_fields)
            raise ValueError(f"fault spec {spec!r}: unknown field {name!r} (known: {known})")
        if name in changes:
            raise ValueError(f"fault spec {spec!r}: field {name!r} given twice")
        changes[name] = value.strip()
    try:
        parsed = FaultSettings.model_validate(changes)
    except ValidationError as exc:
        problems = "; ".join(_describe(error) for error in exc.errors())
        raise ValueError(f"fault spec {spec!r}: {problems}") from None
    return endpoint, {name: getattr(parsed, name) for name in changes}


def _endpoint_named(name: str) -> Endpoint:
    key = name.strip().upper().replace("-", "_")
    if key not in Endpoint.__members__:
        known = ", ".join(member.lower() for member in Endpoint.__members__)
        raise ValueError(f"unknown endpoint {name.strip()!r} (known: {known})")
    return Endpoint[key]


def _describe(error: Mapping[str, Any]) -> str:
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else str(error["msg"])


# --- the middleware ---------------------------------------------------------------------

_API_PATHS: dict[str, Endpoint] = {endpoint.path: endpoint for endpoint in Endpoint}

RETRY_LATER_BODY = (
    b'{"JSONFile":{"result":"91",'
    b'"notif":"system timeout, silahkan coba kembali 10 menit kemudian"}}'
)
SERVER_ERROR_STATUSES = (500, 502, 503)
_STATUS_TITLES = {
    500: "500 Internal Server Error",
    502: "502 Bad Gateway",
    503: "503 Service Temporarily Unavailable",
}
_HTML = b"text/html; charset=utf-8"

MALFORMED_BODIES: tuple[tuple[bytes, bytes], ...] = (
    # A front end's maintenance page, answered with 200.
    (
        b"<!DOCTYPE html><html><head><title>DigiSign</title></head><body>"
        b"<h1>Sedang dalam pemeliharaan</h1><p>Silakan coba beberapa saat lagi.</p>"
        b"</body></html>",
        _HTML,
    ),
    # An answer cut off mid-string.
    (b'{"JSONFile":{"result":"00","notif":"Proses ber', b"application/json"),
    # Digisign's server once printed its PHP variable's name instead of its value.
    (b"$trxjson", _HTML),
    (b"", _HTML),
)
"""The unreadable answers `MALFORMED` rotates through, in this order: (body, content type)."""


class FaultInjectionMiddleware:
    """Apply a `FaultPlan` to POSTs on the seven Digisign API paths; pass all else through.

    Web pages, the `/_sandbox/` admin API and any non-POST request are never touched.

    Args:
        app: the sandbox application.
        plan: the plan to follow; changes to it apply to the next request.
    """

    def __init__(self, app: ASGIApp, plan: FaultPlan) -> None:
        self.app = app
        self.plan = plan
        self._malformed = itertools.cycle(MALFORMED_BODIES)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        is_post = scope["type"] == "http" and scope["method"] == "POST"
        endpoint = _API_PATHS.get(scope["path"]) if is_post else None
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        decision = self.plan.decide(endpoint)
        if decision.delay_s > 0:
            await asyncio.sleep(decision.delay_s)
        fault = decision.fault
        if fault is Fault.NONE:
            await self.app(scope, receive, send)
            return
        logger.info("fault %s on %s", fault.value, endpoint.name)
        if fault is Fault.DROP_AFTER:
            await self.app(scope, receive, _discard)
            await _drop_connection(receive, send)
            return
        # Read the whole request first: the client has finished sending before it sees
        # the fault, and the connection stays in step for the next request.
        await _drain(receive)
        if fault is Fault.RETRY_LATER:
            await _respond(send, 200, RETRY_LATER_BODY, b"application/json")
        elif fault is Fault.SERVER_ERROR:
            status = self.plan.pick(endpoint, SERVER_ERROR_STATUSES)
            await _respond(send, status, _error_page(status), _HTML)
        elif fault is Fault.MALFORMED:
            body, content_type = next(self._malformed)
            await _respond(send, 200, body, content_type)
        else:
            await _drop_connection(receive, send)


async def _drain(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


async def _discard(message: Message) -> None:
    """A `send` that loses the application's answer."""


async def _respond(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _error_page(status: int) -> bytes:
    title = _STATUS_TITLES[status]
    return (
        f"<html><head><title>{title}</title></head><body><center><h1>{title}</h1>"
        "</center><hr><center>nginx</center></body></html>"
    ).encode()


async def _drop_connection(receive: Receive, send: Send) -> None:
    """Close the connection without an answer; the client sees the peer hang up.

    ASGI has no message for this. Every way through the protocol (raising, or
    returning with the answer incomplete) makes uvicorn close the connection but log
    an ERROR, so this closes uvicorn's transport, which `send` is a method of, and
    waits for uvicorn to notice: once it marks the request disconnected it logs
    nothing. Under another server, or behind a middleware that wraps `send`, it falls
    back to an answer that promises one byte and ends: servers must close such a
    connection (uvicorn then logs "ASGI callable returned without completing
    response").
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if isinstance(transport, asyncio.BaseTransport):
        transport.close()
        # connection_lost runs on the next loop turn and ends the wait with
        # http.disconnect; the timeout only guards against a server that never says so.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                while (await receive())["type"] != "http.disconnect":
                    pass
        return
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]}
    )
    await send({"type": "http.response.body", "body": b"", "more_body": True})
