"""The worker's health endpoints, for Kubernetes probes and compose healthchecks.

    GET /healthz   200 while the process and its event loop run
    GET /readyz    200 once connected to Temporal and the worker polls its task
                   queue; 503 before that, and from the moment a shutdown begins

A few lines of HTTP/1.1 on `asyncio.start_server`: no framework, and the server
runs on the worker's own event loop, so a blocked loop fails the liveness probe as
it should. Answers carry a state word, never data. One request per connection, a
short read deadline and bounded request lines, so a stuck client cannot pile up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from functools import partial

logger = logging.getLogger("signflow.health")

_MAX_LINE = 8192
_MAX_HEADERS = 100
_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    503: "Service Unavailable",
}


def parse_bind_address(address: str) -> tuple[str | None, int]:
    """`HOST:PORT` (`[::1]:8090` for IPv6, `:8090` for every interface) as host and port.

    Raises:
        ValueError: not `HOST:PORT`, or the port is not 1 to 65535.
    """
    host, sep, port_text = address.rpartition(":")
    if not sep or not port_text.isdigit():
        raise ValueError("must be HOST:PORT, e.g. 0.0.0.0:8090")
    port = int(port_text)
    if not 1 <= port <= 65535:
        raise ValueError("port must be 1 to 65535")
    host = host.removeprefix("[").removesuffix("]")
    return host or None, port


class WorkerHealth:
    """The worker's state as the probes report it; the worker moves it along."""

    def __init__(self) -> None:
        self._state = "starting"
        self._polling: Callable[[], bool] = lambda: False

    def running(self, polling: Callable[[], bool]) -> None:
        """The worker is started; `polling()` tells whether it polls right now."""
        self._state = "running"
        self._polling = polling

    def stopping(self) -> None:
        """A shutdown has begun: not ready any more, for good."""
        self._state = "stopping"

    @property
    def state(self) -> str:
        """`starting`, `ready`, `not polling` or `stopping`."""
        if self._state != "running":
            return self._state
        return "ready" if self._polling() else "not polling"

    @property
    def ready(self) -> bool:
        """Whether the worker takes work."""
        return self.state == "ready"


@contextlib.asynccontextmanager
async def serve_health(
    address: str, health: WorkerHealth, *, read_timeout: float = 5.0
) -> AsyncIterator[tuple[str, int]]:
    """Serve the probes on `address` while the context lasts; yield the bound host and port.

    Raises:
        ValueError: a malformed address.
        OSError: the address cannot be bound (in use, not local).
    """
    host, port = parse_bind_address(address)
    server = await asyncio.start_server(
        partial(_answer, health, read_timeout), host, port, limit=_MAX_LINE
    )
    bound = server.sockets[0].getsockname()
    logger.info("health endpoints listening", extra={"address": address})
    try:
        yield str(bound[0]), int(bound[1])
    finally:
        server.close()
        await server.wait_closed()


async def _answer(
    health: WorkerHealth,
    read_timeout: float,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
) -> None:
    try:
        try:
            async with asyncio.timeout(read_timeout):
                request_line = await _read_head(reader)
        except (TimeoutError, ValueError):
            # Too slow, too long (a line over the limit) or not HTTP: no answer is owed.
            return
        method, status, body = _route(health, request_line)
        writer.write(_response(status, body, with_body=method != "HEAD"))
        await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def _read_head(reader: asyncio.StreamReader) -> bytes:
    """The request line, after reading (and ignoring) the headers."""
    request_line = await reader.readline()
    for _ in range(_MAX_HEADERS):
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            return request_line
    raise ValueError("too many headers")


def _route(health: WorkerHealth, request_line: bytes) -> tuple[str, int, dict[str, str]]:
    parts = request_line.decode("latin-1").split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        return "", 400, {"status": "bad request"}
    method, target, _version = parts
    if method not in ("GET", "HEAD"):
        return method, 405, {"status": "method not allowed"}
    path = target.split("?", 1)[0]
    if path == "/healthz":
        return method, 200, {"status": "alive"}
    if path == "/readyz":
        state = health.state
        return method, 200 if state == "ready" else 503, {"status": state}
    return method, 404, {"status": "not found"}


def _response(status: int, body: dict[str, str], *, with_body: bool) -> bytes:
    content = json.dumps(body).encode() + b"\n"
    head = [
        f"HTTP/1.1 {status} {_REASONS[status]}",
        "Content-Type: application/json",
        f"Content-Length: {len(content)}",
        "Cache-Control: no-store",
        "Connection: close",
    ]
    if status == 405:
        head.append("Allow: GET, HEAD")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + (content if with_body else b"")
