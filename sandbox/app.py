"""`create_app`: the sandbox as one ASGI application.

Wires the seven Digisign API endpoints (`sandbox.api`), the web pages
(`sandbox.pages`), the admin API (`sandbox.admin`), the store, the clock, the
identity service, redirect delivery and fault injection. The fault middleware
wraps everything, outermost, as `sandbox.faults` requires (it drops connections
through uvicorn's own ``send``).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp

from sandbox import admin, pages
from sandbox.api import HANDLERS
from sandbox.clock import Clock
from sandbox.config import SandboxConfig
from sandbox.context import Sandbox
from sandbox.delivery import RedirectDelivery
from sandbox.faults import FaultInjectionMiddleware, FaultPlan, FaultSettings, parse_fault_spec
from sandbox.identity import IdentityService
from sandbox.store import Store

logger = logging.getLogger("sandbox.app")

MAX_BODY_BYTES = 64 * 1024 * 1024
"""Largest request accepted: a 4 MB KTP photo or a big PDF fit many times over."""


class SandboxApp(FastAPI):
    """A FastAPI application whose middleware stack sits inside the fault injection."""

    def __init__(self, sandbox: Sandbox, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.state.sandbox = sandbox

    @property
    def sandbox(self) -> Sandbox:
        """The sandbox's parts: store, clock, faults, delivery, configuration."""
        sandbox: Sandbox = self.state.sandbox
        return sandbox

    def build_middleware_stack(self) -> ASGIApp:
        """FastAPI's stack, wrapped in `FaultInjectionMiddleware` (outermost)."""
        return FaultInjectionMiddleware(super().build_middleware_stack(), self.sandbox.faults)


def fault_plan(config: SandboxConfig, specs: list[str] | tuple[str, ...] = ()) -> FaultPlan:
    """The fault plan of the configuration's ``[faults]`` table, then of CLI ``specs``.

    Raises:
        ValueError: an unknown endpoint or setting, or a bad value.
    """
    plan = FaultPlan(seed=config.seed, default=FaultSettings())
    for target, changes in config.faults.items():
        spec = ",".join(f"{name}={value}" for name, value in changes.items())
        prefix = "" if target.lower() == "default" else f"{target}:"
        endpoint, parsed = parse_fault_spec(f"{prefix}{spec}")
        plan.apply(endpoint, parsed)
    for spec in specs:
        endpoint, parsed = parse_fault_spec(spec)
        plan.apply(endpoint, parsed)
    return plan


def build_sandbox(
    config: SandboxConfig, *, faults: FaultPlan | None = None, clock: Clock | None = None
) -> Sandbox:
    """Open the store and assemble the parts (balances and identity failures seeded)."""
    store = Store(config.state)
    clock = clock or Clock()
    with store.transaction() as tx:
        for partner in config.partners:
            tx.accounts.seed(partner.userid, partner.balances)
        for nik, check in config.identity_failures.items():
            tx.users.set_identity_failure(nik, check.value)
    return Sandbox(
        config=config,
        store=store,
        clock=clock,
        faults=faults or fault_plan(config),
        identity=IdentityService(),
        delivery=RedirectDelivery(
            store=store,
            clock=clock,
            server_side=config.server_redirects,
            timeout_s=config.redirect_timeout_s,
        ),
    )


def create_app(
    config: SandboxConfig | None = None,
    *,
    faults: FaultPlan | None = None,
    clock: Clock | None = None,
) -> SandboxApp:
    """The sandbox application.

    Args:
        config: partners, state, redirects; the defaults (one partner, in memory)
            when omitted.
        faults: a fault plan to use instead of the configuration's.
        clock: a clock to use instead of a fresh one.

    Returns:
        The application; its `sandbox` attribute holds the parts (for tests).
    """
    sandbox = build_sandbox(config or SandboxConfig(), faults=faults, clock=clock)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await sandbox.delivery.start()
        try:
            yield
        finally:
            await sandbox.delivery.stop()
            sandbox.store.close()

    app = SandboxApp(
        sandbox,
        title="Digisign sandbox",
        summary="A local Digisign EXT-AT 3.0.4 for development, tests and demos.",
        lifespan=lifespan,
        max_body_size=MAX_BODY_BYTES,
    )
    for endpoint, handler in HANDLERS.items():
        app.add_route(endpoint.path, handler, methods=["POST"], include_in_schema=False)
    app.router.routes.extend(pages.ROUTES)
    app.include_router(admin.router)
    return app


__all__ = ["SandboxApp", "build_sandbox", "create_app", "fault_plan"]
