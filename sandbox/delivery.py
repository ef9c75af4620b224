"""Redirect delivery: the browser's 303 and Digisign's own server-side call.

Digisign delivers every redirect at least twice: it sends the browser to the
partner's URL with ``?msg=`` and also calls that same URL itself from its server.
`RedirectDelivery` does both: `deliver` returns where the browser goes (or None
when the browser redirect is lost to a fault) and, when server-side redirects
are on, starts a background GET of the same URL with a short timeout.

Every delivery is logged to the store's redirect log (kind, target without its
query, channel, outcome). The ``msg`` and its plaintext are never logged: the
plaintext carries the signer's NIK.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from urllib.parse import urlsplit, urlunsplit

import httpx

from sandbox.clock import Clock
from sandbox.config import PartnerConfig
from sandbox.store import Store

logger = logging.getLogger("sandbox.delivery")

SERVER_USER_AGENT = "DigisignSandbox-ServerRedirect/1.0"
"""The User-Agent of server-side redirect calls, so a receiver can tell the copies apart."""

_SHUTDOWN_GRACE_S = 2.0


def redirect_url(target: str, msg: str) -> str:
    """The partner URL with ``msg`` appended verbatim (it is already URL-encoded)."""
    separator = "&" if "?" in target else "?"
    return f"{target}{separator}msg={msg}"


def without_query(url: str) -> str:
    """``url`` without query and fragment, safe to log."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def resolve(public_base: str, url: str) -> str:
    """A partner URL made absolute: relative ones hang off the sandbox's public URL."""
    return f"{public_base}{url}" if url.startswith("/") else url


class RedirectDelivery:
    """Sends redirects to partners, twice.

    Args:
        store: where deliveries are logged.
        clock: the sandbox clock.
        server_side: whether to call redirect URLs from the server too.
        timeout_s: how long a server-side call may take.
    """

    def __init__(self, *, store: Store, clock: Clock, server_side: bool, timeout_s: float) -> None:
        self._store = store
        self._clock = clock
        self.server_side = server_side
        self._timeout_s = timeout_s
        self._http: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Open the HTTP client for server-side calls (on application startup)."""
        self._http = httpx.AsyncClient(
            timeout=self._timeout_s,
            follow_redirects=False,
            headers={"User-Agent": SERVER_USER_AGENT},
        )

    async def stop(self) -> None:
        """Let server-side calls in flight finish briefly, cancel the rest, close the client."""
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=_SHUTDOWN_GRACE_S)
            for task in pending:
                task.cancel()
            for task in pending:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def drain(self) -> None:
        """Wait until every server-side call started so far has finished (for tests)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    def deliver(
        self, *, partner: PartnerConfig, kind: str, url: str, browser_lost: bool
    ) -> str | None:
        """Deliver one redirect.

        Args:
            partner: whose redirect it is.
            kind: ``"activation"`` or ``"sign"``.
            url: the full URL with ``msg``.
            browser_lost: whether a fault loses the browser's redirect.

        Returns:
            The URL to send the browser to, or None when the browser redirect is lost.
        """
        target = without_query(url)
        self._log(partner, kind, target, "browser", "lost" if browser_lost else "303")
        if self.server_side:
            task = asyncio.get_running_loop().create_task(
                self._call(partner, kind, url, target), name=f"redirect:{kind}"
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return None if browser_lost else url

    async def _call(self, partner: PartnerConfig, kind: str, url: str, target: str) -> None:
        if self._http is None:
            outcome = "error:not_started"
        else:
            try:
                response = await self._http.get(url)
                outcome = str(response.status_code)
            except httpx.HTTPError as exc:
                outcome = f"error:{type(exc).__name__}"
                # The target only: the msg in the query carries the NIK.
                logger.warning(
                    "server-side %s redirect to %s failed: %s", kind, target, type(exc).__name__
                )
        self._log(partner, kind, target, "server", outcome)

    def _log(
        self, partner: PartnerConfig, kind: str, target: str, channel: str, outcome: str
    ) -> None:
        with self._store.transaction() as tx:
            tx.logs.record_redirect(
                partner=partner.userid,
                kind=kind,
                target=target,
                channel=channel,
                outcome=outcome,
                now=self._clock.timestamp(),
            )
