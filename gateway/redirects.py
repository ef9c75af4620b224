"""Digisign's browser redirects: decrypt `msg`, validate it, signal the right lifecycles.

After a signer activates their account or signs (or refuses), Digisign sends the
browser to the partner's URL with `?msg=`: AES-encrypted JSON holding the signer's
e-mail (and, for activations, their NIK). Digisign also calls the same URL from its
own server, so every redirect arrives at least twice.

    activation: msg ─decrypt─► e-mail ─► lifecycles whose SignerEmailHashes holds its
                hash and that still run ─► signal `activated` to each whose signer
                has not activated yet
    sign:       msg ─decrypt─► document id, e-mail ─► `signing-<document_id>` ─► status
                query ─► signal `signed` (rejected, document_complete) unless that
                signer is already signed or rejected

The browser is answered at once with a small page (or a 303 to the lender's landing
page); nothing here ever calls Digisign. Every outcome is a page:

    200  done (also for the second delivery of the same redirect)
    400  `msg` missing, undecryptable, tampered, truncated or not the expected JSON
    404  no lifecycle waits for this document or signer
    503  Temporal unreachable or too slow

The refusal reason is logged; the `msg`, its plaintext, the e-mail and the NIK never
are. Bad input never produces a 500: anything unexpected is a 503 page.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Hashable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse
from temporalio.client import Client, WorkflowHandle, WorkflowQueryFailedError

from digisign.cipher import RedirectCipher
from digisign.errors import RedirectError
from digisign.redirects import (
    DocumentStatus,
    SignRedirect,
    decode_activation_redirect,
    decode_sign_redirect,
)
from gateway.config import GatewayConfig
from gateway.pages import Page, landing_redirect, page_response
from gateway.temporal import deadline, is_not_found, is_unavailable, lifecycle_id
from workflows import names
from workflows.models import (
    ActivatedSignal,
    SignedSignal,
    SignerStage,
    SignerStatus,
    SigningStatus,
)

logger = logging.getLogger("signflow.gateway.redirects")

MAX_LIFECYCLES_PER_ACTIVATION = 100
"""A signer in more lifecycles than this at once is not a person but a bug."""

_BEFORE_ACTIVATION = frozenset(
    {SignerStage.PENDING, SignerStage.REGISTERING, SignerStage.AWAITING_ACTIVATION}
)
_LANDING_PAGES = frozenset(
    {Page.ACTIVATED, Page.SIGNED, Page.SIGNED_COMPLETE, Page.REJECTED, Page.NOT_COMPLETED}
)


class NoLifecycle(Exception):
    """Nothing waits for this redirect; the message says why (no personal data)."""


class KeyedLocks:
    """One `asyncio.Lock` per key, dropped when nobody holds or waits for it.

    Digisign's two deliveries of a redirect arrive at about the same time; holding
    the key across "query, then signal" makes the second see the first's signal on
    this replica. Across replicas the workflow's own dedupe still holds.
    """

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        """Hold the lock of `key` for the block."""
        lock, users = self._locks.get(key, (None, 0))
        lock = lock or asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


class RecentRedirects:
    """The `msg`s this replica signalled lately, by digest: Digisign's second delivery
    of the same `msg` is answered without asking Temporal anything.

    Keyed by the exact `msg`, never by document or e-mail: a different `msg` for the
    same signer (a forged one, say) must not hide the real one that follows.

    Args:
        ttl_seconds: how long a `msg` is remembered.
        size: at most this many are remembered (the oldest are forgotten first).
    """

    def __init__(self, *, ttl_seconds: float = 900, size: int = 50_000) -> None:
        self._ttl = ttl_seconds
        self._size = size
        self._seen: OrderedDict[bytes, float] = OrderedDict()

    @staticmethod
    def _key(msg: str) -> bytes:
        # Deliveries differ only in URL-encoding and MIME line breaks, gone by now.
        return hashlib.sha256("".join(msg.split()).encode()).digest()

    def seen(self, msg: str) -> bool:
        """Whether this `msg` was signalled within the TTL."""
        at = self._seen.get(self._key(msg))
        return at is not None and time.monotonic() - at < self._ttl

    def add(self, msg: str) -> None:
        """Remember that this `msg` was signalled."""
        key = self._key(msg)
        self._seen[key] = time.monotonic()
        self._seen.move_to_end(key)
        while len(self._seen) > self._size:
            self._seen.popitem(last=False)

    def __len__(self) -> int:
        return len(self._seen)


class RedirectHandler:
    """Turns redirects into signals.

    Args:
        config: the AES key, timeouts and landing URL.
        client: the Temporal client.
    """

    def __init__(self, config: GatewayConfig, client: Client) -> None:
        self._config = config
        self._client = client
        self._cipher = RedirectCipher(config.digisign_aes_key.get_secret_value())
        self._locks = KeyedLocks()
        self._recent = RecentRedirects()
        # The status query only saves a duplicate signal: it may take half the time.
        self._query_timeout = config.temporal_timeout_seconds / 2

    # --- the two redirects -------------------------------------------------------------

    async def activation(self, msg: str | None) -> Page:
        """Signal `activated` to every running lifecycle still waiting for this signer."""
        msg = _required(msg)
        redirect = decode_activation_redirect(self._cipher, msg)
        if not redirect.succeeded:
            logger.warning(
                "activation redirect reports result %s: nothing signalled", redirect.result
            )
            return Page.NOT_COMPLETED
        email = redirect.email_user
        hashed = names.email_hash(email)
        async with self._locks.hold(("activation", hashed)):
            if self._recent.seen(msg):
                logger.info("activation redirect repeated: not signalled again")
                return Page.ACTIVATED
            workflow_ids = await self._waiting_for(hashed)
            if not workflow_ids:
                raise NoLifecycle("no running lifecycle has this signer")
            waiting = await asyncio.gather(
                *(self._awaits_activation(workflow_id, email) for workflow_id in workflow_ids)
            )
            signalled = 0
            for workflow_id, awaits in zip(workflow_ids, waiting, strict=True):
                if awaits and await self._signal(
                    workflow_id, names.SIGNAL_ACTIVATED, ActivatedSignal(email=email)
                ):
                    signalled += 1
            if signalled:
                self._recent.add(msg)
        logger.info(
            "activation redirect: signalled %d of %d lifecycles (signer %s)",
            signalled,
            len(workflow_ids),
            hashed,
        )
        return Page.ACTIVATED

    async def sign(self, msg: str | None) -> tuple[Page, str]:
        """Signal `signed` to the document's lifecycle, once per signer."""
        msg = _required(msg)
        redirect = decode_sign_redirect(self._cipher, msg)
        document_id = redirect.document_id
        if redirect.result != "00":
            logger.warning(
                "sign redirect for document %s reports result %s: nothing signalled",
                document_id,
                redirect.result,
            )
            return Page.NOT_COMPLETED, document_id
        workflow_id = lifecycle_id(document_id)
        hashed = names.email_hash(redirect.email_user)
        async with self._locks.hold(("sign", document_id, hashed)):
            if self._recent.seen(msg):
                logger.info("sign redirect for %s repeated: not signalled again", workflow_id)
                return _sign_page(redirect), document_id
            status = await self._status(workflow_id)
            signer = _signer(status, redirect.email_user) if status is not None else None
            if status is not None and signer is None:
                raise NoLifecycle(f"{workflow_id}: the e-mail is not one of its signers")
            if signer is not None and signer.stage in (SignerStage.SIGNED, SignerStage.REJECTED):
                # Digisign's second delivery (or a reload): answer from what the
                # lifecycle recorded, and do not signal again.
                logger.info("sign redirect for %s repeated: not signalled again", workflow_id)
                recorded = Page.REJECTED if signer.stage is SignerStage.REJECTED else None
                return recorded or _sign_page(redirect), document_id
            if status is not None and status.outcome is not None:
                raise NoLifecycle(f"{workflow_id} has ended ({status.outcome.status.value})")
            signal = SignedSignal(
                email=redirect.email_user,
                document_id=document_id,
                rejected=redirect.rejected,
                document_complete=redirect.status_document is DocumentStatus.COMPLETE,
            )
            if not await self._signal(workflow_id, names.SIGNAL_SIGNED, signal):
                raise NoLifecycle(f"{workflow_id} has ended or does not exist")
            self._recent.add(msg)
        logger.info(
            "sign redirect: %s signalled (%s)",
            workflow_id,
            "rejected" if redirect.rejected else "signed",
        )
        return _sign_page(redirect), document_id

    # --- Temporal --------------------------------------------------------------------

    async def _waiting_for(self, hashed: str) -> list[str]:
        # The hash is hex: safe to put in the visibility query as it is.
        query = f"{names.SIGNER_EMAIL_HASHES.name} = '{hashed}' AND ExecutionStatus = 'Running'"
        async with deadline(self._config, "listing lifecycles"):
            return [
                execution.id
                async for execution in self._client.list_workflows(
                    query, limit=MAX_LIFECYCLES_PER_ACTIVATION
                )
            ]

    async def _status(self, workflow_id: str) -> SigningStatus | None:
        """The lifecycle's status; None if it exists but did not answer the query.

        Raises:
            NoLifecycle: no such lifecycle.
        """
        handle: WorkflowHandle[Any, Any] = self._client.get_workflow_handle(workflow_id)
        try:
            async with asyncio.timeout(self._query_timeout):
                status: SigningStatus = await handle.query(
                    names.QUERY_STATUS, result_type=SigningStatus
                )
                return status
        except Exception as exc:
            if is_not_found(exc):
                raise NoLifecycle(f"{workflow_id} does not exist") from None
            if isinstance(exc, WorkflowQueryFailedError) or is_unavailable(exc):
                # No worker answered in time, or the query failed: the signal is
                # still delivered durably, and the workflow dedupes it.
                logger.warning("status query of %s failed (%s)", workflow_id, type(exc).__name__)
                return None
            raise

    async def _awaits_activation(self, workflow_id: str, email: str) -> bool:
        try:
            status = await self._status(workflow_id)
        except NoLifecycle:
            return False
        if status is None:
            return True  # unknown: signal, the workflow ignores what it does not need
        signer = _signer(status, email)
        return signer is not None and signer.stage in _BEFORE_ACTIVATION

    async def _signal(self, workflow_id: str, signal: str, payload: Any) -> bool:
        """Signal the lifecycle; False when it does not exist or has ended."""
        handle: WorkflowHandle[Any, Any] = self._client.get_workflow_handle(workflow_id)
        try:
            async with deadline(self._config, f"signalling {signal}"):
                await handle.signal(signal, payload)
        except Exception as exc:
            if is_not_found(exc):
                return False
            raise
        return True

    # --- answers ---------------------------------------------------------------------

    def respond(self, page: Page, document_id: str | None = None) -> Response:
        """The page, or a 303 to the landing URL for outcomes the lender shows itself."""
        if self._config.landing_url and page in _LANDING_PAGES:
            return landing_redirect(self._config.landing_url, page, document_id=document_id)
        return page_response(page, document_id=document_id)


class MissingMsg(RedirectError):
    """The redirect carries no (or an empty) `msg`."""


def _required(msg: str | None) -> str:
    if not msg:
        raise MissingMsg("redirect has no msg")
    return msg


def _signer(status: SigningStatus, email: str) -> SignerStatus | None:
    wanted = email.strip().lower()
    return next((s for s in status.signers if s.email.strip().lower() == wanted), None)


def _sign_page(redirect: SignRedirect) -> Page:
    if redirect.rejected:
        return Page.REJECTED
    if redirect.status_document is DocumentStatus.COMPLETE:
        return Page.SIGNED_COMPLETE
    return Page.SIGNED


_PAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Done: a page in Indonesian and English.", "content": {"text/html": {}}},
    303: {"description": "Done: to the lender's landing page (when configured)."},
    400: {"description": "`msg` missing, undecryptable or invalid.", "content": {"text/html": {}}},
    404: {"description": "No lifecycle waits for this.", "content": {"text/html": {}}},
    503: {"description": "Temporal unreachable; reload later.", "content": {"text/html": {}}},
}

MsgParam = Annotated[
    str | None,
    # No length limit here: FastAPI would answer JSON 422; the cipher refuses long ones.
    Query(description="Digisign's encrypted payload: AES, MIME base64, URL-encoded."),
]


def redirects_router(config: GatewayConfig, client: Client) -> APIRouter:
    """The activation and sign redirect endpoints, at the configured paths."""
    handler = RedirectHandler(config, client)
    router = APIRouter(tags=["digisign redirects"])

    async def guarded(kind: str, work: Awaitable[tuple[Page, str | None]]) -> Response:
        try:
            page, document_id = await work
        except RedirectError as exc:
            # The digisign library's messages name the problem, never the msg or plaintext.
            logger.warning("%s redirect refused (400): %s", kind, exc)
            return handler.respond(Page.INVALID)
        except NoLifecycle as exc:
            logger.warning("%s redirect for no waiting lifecycle (404): %s", kind, exc)
            return handler.respond(Page.NOT_FOUND)
        except Exception as exc:
            if is_unavailable(exc):
                logger.error(
                    "%s redirect: Temporal unavailable (503): %s", kind, type(exc).__name__
                )
            else:
                logger.exception("%s redirect failed unexpectedly (503)", kind)
            return handler.respond(Page.UNAVAILABLE)
        return handler.respond(page, document_id)

    async def activation_work(msg: str | None) -> tuple[Page, None]:
        return await handler.activation(msg), None

    @router.get(
        config.activation_path,
        response_class=HTMLResponse,
        responses=_PAGE_RESPONSES,
        summary="Digisign's redirect after a signer activated their account",
    )
    async def activation_redirect(msg: MsgParam = None) -> Response:
        """Resume every lifecycle waiting for this signer's activation."""
        return await guarded("activation", activation_work(msg))

    @router.get(
        config.sign_path,
        response_class=HTMLResponse,
        responses=_PAGE_RESPONSES,
        summary="Digisign's redirect after a signer signed or refused a document",
    )
    async def sign_redirect(msg: MsgParam = None) -> Response:
        """Record the signature (or refusal) in the document's lifecycle."""
        return await guarded("sign", handler.sign(msg))

    return router
