"""Liveness and readiness.

`/healthz` answers 200 whenever the process serves HTTP (restart me if not).
`/readyz` answers 200 only when Temporal answers `GetSystemInfo` within the
timeout, else 503 (send me no traffic). The check is not retried: a load balancer
asks again soon anyway, and a probe must not hang.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client

from gateway.config import GatewayConfig

logger = logging.getLogger("signflow.gateway.health")


class Health(BaseModel):
    """A probe's answer."""

    status: Literal["ok", "ready", "unavailable"]


def health_router(config: GatewayConfig, client: Client) -> APIRouter:
    """`GET /healthz` and `GET /readyz`."""
    router = APIRouter(tags=["health"])
    timeout = timedelta(seconds=min(config.temporal_timeout_seconds, 5.0))

    @router.get("/healthz", response_model=Health, summary="Liveness")
    async def healthz() -> Health:
        """Always 200 while the process serves requests."""
        return Health(status="ok")

    @router.get(
        "/readyz",
        response_model=Health,
        responses={503: {"model": Health, "description": "Temporal is unreachable."}},
        summary="Readiness: Temporal is reachable",
    )
    async def readyz() -> Health | JSONResponse:
        """200 when Temporal answers, 503 otherwise."""
        try:
            await client.workflow_service.get_system_info(
                GetSystemInfoRequest(), retry=False, timeout=timeout
            )
        except Exception as exc:
            # Any failure means "not ready"; the type is enough for the log.
            logger.warning("not ready: Temporal did not answer (%s)", type(exc).__name__)
            return JSONResponse(Health(status="unavailable").model_dump(), status_code=503)
        return Health(status="ready")

    return router
