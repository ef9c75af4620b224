"""`Sandbox`: everything a request handler needs, built once per application."""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field

from starlette.requests import Request

from sandbox.clock import Clock
from sandbox.config import PartnerConfig, SandboxConfig
from sandbox.delivery import RedirectDelivery
from sandbox.faults import FaultPlan
from sandbox.identity import IdentityService
from sandbox.store import Store


class KeyedLocks:
    """One `asyncio.Lock` per key (a document id), dropped when nobody holds it."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def __call__(self, key: str) -> asyncio.Lock:
        """The lock of ``key``; hold on to it (``async with``) while it matters."""
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock


@dataclass
class Sandbox:
    """The sandbox's parts, shared by every handler of one application."""

    config: SandboxConfig
    store: Store
    clock: Clock
    faults: FaultPlan
    identity: IdentityService
    delivery: RedirectDelivery
    document_locks: KeyedLocks = field(default_factory=KeyedLocks)

    def partner_by_token(self, token: str) -> PartnerConfig | None:
        """The partner whose bearer token is ``token``."""
        return next((p for p in self.config.partners if p.token == token), None)

    def partner(self, userid: str) -> PartnerConfig | None:
        """The partner whose admin userid is ``userid``."""
        return self.config.partner(userid)

    def public_base(self, request: Request) -> str:
        """The base URL of the links handed out: configured, else the request's own."""
        if self.config.public_url:
            return self.config.public_url
        return str(request.base_url).rstrip("/")


def sandbox_of(request: Request) -> Sandbox:
    """The `Sandbox` of the application serving ``request``."""
    sandbox: Sandbox = request.app.state.sandbox
    return sandbox
