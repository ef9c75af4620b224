"""Authentication of the loan-event and signings API: a bearer token or an HMAC signature.

Two schemes, chosen by `GatewayConfig.event_auth`:

- `bearer`: `Authorization: Bearer <event_token>`;
- `hmac`: `X-Signflow-Signature: sha256=<hex>`, the HMAC-SHA256 under
  `event_hmac_secret` of the raw request body, byte for byte as sent. A request
  without a body (the `GET` of a lifecycle's status) signs its request target
  instead (`/v1/signings/PK-000123`, with `?query` if any), so a signature for one
  document's status cannot be replayed for another's.

Both comparisons are constant-time (`hmac.compare_digest`), so timing reveals nothing
about how much of a token or signature matched.

The check runs before FastAPI parses the body (a custom `APIRoute`): an
unauthenticated request gets 401 whatever its body, is never validated, and changes
nothing. The same step bounds the body's size (413).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response, params
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader, HTTPBearer
from starlette.types import Message

from gateway.config import GatewayConfig

logger = logging.getLogger("signflow.gateway.auth")

SIGNATURE_HEADER = "X-Signflow-Signature"
SIGNATURE_PREFIX = "sha256="


class BodyTooLarge(Exception):
    """The request body is over the configured limit."""


class EventAuthenticator:
    """Checks one request against the configured scheme.

    Args:
        config: the gateway's configuration (scheme and secret).
    """

    def __init__(self, config: GatewayConfig) -> None:
        self.scheme = config.event_auth
        secret = config.event_token if self.scheme == "bearer" else config.event_hmac_secret
        if secret is None:  # GatewayConfig refuses this; the check is for the type
            raise ValueError(f"no secret configured for event_auth={self.scheme}")
        self._secret = secret.get_secret_value().encode("utf-8")

    def refusal(self, request: Request, body: bytes) -> str | None:
        """Why `request` is not authenticated, or None when it is.

        The reason names what is missing or wrong, never what was sent.
        """
        if self.scheme == "bearer":
            return self._bearer(request.headers.get("authorization"))
        return self._hmac(request.headers.get(SIGNATURE_HEADER), _signed_message(request, body))

    @property
    def needs_body(self) -> bool:
        """Whether checking a request needs its body (HMAC does, a bearer token does not)."""
        return self.scheme == "hmac"

    def challenge(self) -> str:
        """The `WWW-Authenticate` value of a 401."""
        if self.scheme == "bearer":
            return 'Bearer realm="signflow"'
        return f'HMAC-SHA256 realm="signflow", header="{SIGNATURE_HEADER}"'

    def security_scheme(self) -> params.Depends:
        """A dependency that only documents the scheme in the OpenAPI document.

        It never refuses anything (`auto_error=False`); the route class does.
        """
        if self.scheme == "bearer":
            return params.Security(HTTPBearer(auto_error=False, description="The event token."))
        return params.Security(
            APIKeyHeader(
                name=SIGNATURE_HEADER,
                auto_error=False,
                description=(
                    "`sha256=` and the hex HMAC-SHA256 of the raw body (of the request "
                    "target, e.g. `/v1/signings/PK-1`, when there is no body)."
                ),
            )
        )

    def _bearer(self, header: str | None) -> str | None:
        if not header:
            return "no Authorization header"
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "bearer":
            return "not a bearer Authorization header"
        given = credentials.strip().encode("latin-1", errors="replace")
        if not hmac.compare_digest(given, self._secret):
            return "wrong bearer token"
        return None

    def _hmac(self, header: str | None, message: bytes) -> str | None:
        if not header:
            return f"no {SIGNATURE_HEADER} header"
        if not header.lower().startswith(SIGNATURE_PREFIX):
            return f"{SIGNATURE_HEADER} is not sha256=<hex>"
        given = header[len(SIGNATURE_PREFIX) :].strip().lower().encode("latin-1", errors="replace")
        expected = hmac.new(self._secret, message, hashlib.sha256).hexdigest().encode("ascii")
        if not hmac.compare_digest(given, expected):
            return "wrong signature"
        return None


def _signed_message(request: Request, body: bytes) -> bytes:
    if body:
        return body
    raw_path = request.scope.get("raw_path") or request.url.path.encode("utf-8")
    query = request.scope.get("query_string") or b""
    return bytes(raw_path) + (b"?" + bytes(query) if query else b"")


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refusing more than `limit` bytes without reading them all.

    Raises:
        BodyTooLarge: the declared or actual length is over `limit`.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge
    return bytes(body)


_NOT_TEXT = {"loc": ["body"], "type": "json_invalid", "msg": "the body is not UTF-8 JSON text"}


def _decodable(body: bytes) -> bool:
    """Whether `body` decodes as JSON text (UTF-8, or UTF-16/32 as `json.loads` detects)."""
    try:
        body.decode(json.detect_encoding(body))
    except UnicodeDecodeError:
        return False
    return True


def _replaying(request: Request, body: bytes) -> Request:
    """A request whose body is `body` again: the original stream is consumed."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(request.scope, receive)


def authenticated_route(config: GatewayConfig) -> type[APIRoute]:
    """A route class that authenticates (and bounds) every request before FastAPI parses it.

    Args:
        config: the scheme, the secret and the body limit.
    """
    authenticator = EventAuthenticator(config)
    limit = config.max_event_bytes

    class AuthenticatedRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handle = super().get_route_handler()

            def unauthorized(request: Request, refusal: str) -> Response:
                logger.warning("%s %s refused (401): %s", request.method, request.url.path, refusal)
                return JSONResponse(
                    {"detail": "authentication required: " + refusal},
                    status_code=401,
                    headers={"WWW-Authenticate": authenticator.challenge()},
                )

            async def authenticated(request: Request) -> Response:
                # A bearer token is checked before the body is even read.
                if not authenticator.needs_body:
                    refusal = authenticator.refusal(request, b"")
                    if refusal is not None:
                        return unauthorized(request, refusal)
                try:
                    body = await read_body(request, limit)
                except BodyTooLarge:
                    return JSONResponse(
                        {"detail": f"the body is over {limit} bytes"}, status_code=413
                    )
                if authenticator.needs_body:
                    refusal = authenticator.refusal(request, body)
                    if refusal is not None:
                        return unauthorized(request, refusal)
                if not _decodable(body):
                    # FastAPI would answer a bare 400 ("error parsing the body"); an
                    # undecodable body is as malformed as bad JSON, so it is a 422 too.
                    return JSONResponse({"detail": [_NOT_TEXT]}, status_code=422)
                return await handle(_replaying(request, body))

            return authenticated

    return AuthenticatedRoute
