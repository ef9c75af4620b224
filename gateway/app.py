"""The gateway application: signflow's HTTP edge, one stateless process per replica.

    POST /v1/loan-events                          start a lifecycle (gateway.intake)
    GET  <activation_path>, <sign_path>           Digisign's redirects (gateway.redirects)
    GET  /v1/signings/{document_id}, POST .../*   state and actions (gateway.signings)
    POST /codec/decode, /codec/encode             Temporal UI codec (gateway.codec)
    GET  /healthz, /readyz                        probes (gateway.health)

`create_app` wires them to a `GatewayConfig` and a Temporal `Client`, both built by
`workers/`. Errors are answered here in one shape: a 422 lists every bad field by
location and rule, never by value; Temporal being unreachable is a 503.
"""

from __future__ import annotations

import json
import logging
from importlib import metadata
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from temporalio.client import Client, RPCTimeoutOrCancelledError
from temporalio.converter import PayloadCodec
from temporalio.service import RPCError

from gateway.auth import EventAuthenticator, authenticated_route
from gateway.config import GatewayConfig
from gateway.health import health_router
from gateway.intake import loan_events_router
from gateway.problems import Problem, ValidationProblem, field_problems
from gateway.redirects import redirects_router
from gateway.signings import signings_router
from gateway.temporal import TemporalUnavailable, is_not_found, is_unavailable

logger = logging.getLogger("signflow.gateway")

DESCRIPTION = """\
signflow's HTTP edge: loan-origination events start Digisign signing lifecycles on
Temporal; Digisign's redirects resume them; lenders read their state and act on them.

Loan events and the signings API are authenticated with a bearer token or an HMAC
signature (`X-Signflow-Signature: sha256=<hex>` of the raw body), as configured.
"""


def _version() -> str:
    try:
        return metadata.version("signflow")
    except metadata.PackageNotFoundError:  # running from a source tree
        return "0.0.0"


def create_app(
    config: GatewayConfig, client: Client, *, codec: PayloadCodec | None = None
) -> FastAPI:
    """The gateway, ready for uvicorn.

    Args:
        config: the gateway's configuration.
        client: a connected (or lazily connecting) Temporal client with signflow's
            data converter.
        codec: the payload codec; when given, the codec endpoint for the Temporal
            UI is served at `/codec`.
    """
    app = FastAPI(title="signflow gateway", version=_version(), description=DESCRIPTION)
    route_class = authenticated_route(config)
    security = EventAuthenticator(config).security_scheme()

    app.include_router(
        loan_events_router(config, client, route_class=route_class, security=security)
    )
    app.include_router(signings_router(config, client, route_class=route_class, security=security))
    app.include_router(redirects_router(config, client))
    app.include_router(health_router(config, client))
    if codec is not None:
        from gateway.codec import codec_router

        token = config.codec_token.get_secret_value() if config.codec_token else None
        app.include_router(
            codec_router(codec, allowed_origins=config.codec_allowed_origins, token=token)
        )

    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(TemporalUnavailable, _temporal_failure)
    app.add_exception_handler(RPCError, _temporal_failure)
    app.add_exception_handler(RPCTimeoutOrCancelledError, _temporal_failure)
    app.add_exception_handler(RuntimeError, _temporal_failure)
    redirect_paths = {config.activation_path, config.sign_path}
    app.openapi = lambda: _openapi(app, redirect_paths)  # type: ignore[method-assign]
    return app


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    problems = field_problems(errors)
    body = ValidationProblem(detail=problems)
    return JSONResponse(body.model_dump(), status_code=422)


async def _temporal_failure(request: Request, exc: Exception) -> JSONResponse:
    if is_unavailable(exc):
        logger.error(
            "Temporal unavailable for %s %s: %s",
            request.method,
            request.url.path,
            type(exc).__name__,
        )
        problem = Problem(detail="Temporal is unavailable; retry later")
        return JSONResponse(problem.model_dump(), status_code=503, headers={"Retry-After": "5"})
    if is_not_found(exc):
        return JSONResponse(Problem(detail="no such lifecycle").model_dump(), status_code=404)
    # Not a failure we know how to answer: let it be the 500 it is.
    raise exc


def _openapi(app: FastAPI, redirect_paths: set[str]) -> dict[str, Any]:
    """FastAPI's document, minus the 422 it assumes for the redirects (they answer pages)."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        for path in redirect_paths:
            for operation in schema.get("paths", {}).get(path, {}).values():
                operation.get("responses", {}).pop("422", None)
        schemas = schema.get("components", {}).get("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            if f"#/components/schemas/{unused}" not in json.dumps(schema):
                schemas.pop(unused, None)
        app.openapi_schema = schema
    return app.openapi_schema
