"""The codec endpoint: the Temporal UI (and CLI) decode signflow's encrypted payloads here.

It speaks the Temporal codec-server protocol: `POST /codec/decode` and
`POST /codec/encode` take and return `{"payloads": [{"metadata": {k: b64}, "data": b64}]}`,
which is the proto3 JSON of `temporal.api.common.v1.Payloads` (every bytes field, the
metadata values included, is base64). The UI is pointed at `<public url>/codec` and
sends `Content-Type: application/json`, `X-Namespace` and, when told to pass its
access token, `Authorization: Bearer ...`.

The UI calls from the browser, from its own origin, so the endpoint answers CORS
preflights itself, and only for the configured origins; an app-wide CORS middleware
would open every other route as well. Preflights carry no credentials, so they are
never authenticated; the POSTs are, when a token is configured.

Answers, all JSON; errors are `{"detail": "..."}` and never echo the body:

    200  the payloads, decoded or encoded
    400  not JSON, not the protocol's shape, bad base64, or a payload the codec refuses
         (unknown key id, tampered or truncated ciphertext)
    401  a token is configured and the request does not carry it
    413  a body over `MAX_BODY_BYTES`
    415  not `application/json`
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from google.protobuf import json_format
from pydantic import BaseModel, Field
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.converter import PayloadCodec

logger = logging.getLogger("signflow.gateway.codec")

PREFIX = "/codec"
"""The UI appends `/decode` and `/encode` to its codec endpoint: configure it as this."""

MAX_BODY_BYTES = 16 * 1024 * 1024
"""Temporal refuses payloads over 2 MB and the UI sends one event's payloads per call;
this leaves room for base64 and several payloads while keeping memory bounded."""

ALLOWED_HEADERS = "authorization, content-type, x-namespace"
"""Everything the UI sends with its codec calls."""

PREFLIGHT_MAX_AGE_SECONDS = 600
"""Browsers may reuse a preflight this long; most cap it lower anyway."""

_ORIGIN = re.compile(r"https?://[^/\s?#]+")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]*={0,2}")
_JSON_NESTING_LIMIT = 100
"""Protobuf's own limit; deeper bodies are refused before they reach it."""


class CodecPayload(BaseModel):
    """One payload in proto3 JSON: bytes are standard base64."""

    metadata: dict[str, str] = Field(
        default_factory=dict,
        description="Metadata name → base64 of its value, e.g. encoding → base64('json/plain').",
        examples=[{"encoding": "anNvbi9wbGFpbg=="}],
    )
    data: str = Field(default="", description="Base64 of the payload's bytes.", examples=["e30="])


class CodecPayloads(BaseModel):
    """The body of every codec request and response (`temporal.api.common.v1.Payloads`)."""

    payloads: list[CodecPayload]


class CodecProblem(BaseModel):
    """Why a codec request was refused."""

    detail: str


class _Refused(Exception):
    """A request the endpoint answers with an error; the message is safe to send back."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def codec_router(
    codec: PayloadCodec, *, allowed_origins: Sequence[str], token: str | None
) -> APIRouter:
    """The codec-server endpoints for the Temporal UI, over `codec`.

    Args:
        codec: the payload codec the workers use (e.g. `workers.codec.EncryptionCodec`).
        allowed_origins: the browser origins allowed to call, exactly as browsers
            send them (`scheme://host[:port]`, no path or trailing slash): the
            Temporal UI's.
        token: when set, POSTs must carry `Authorization: Bearer <token>`.

    Returns:
        A router serving `POST` and `OPTIONS` on `/codec/decode` and `/codec/encode`.

    Raises:
        ValueError: an origin that is not `scheme://host[:port]` (a `*` included:
            list the UI's origins), or an empty token.
    """
    for origin in allowed_origins:
        if not _ORIGIN.fullmatch(origin):
            raise ValueError(f"allowed origin {origin!r} must be scheme://host[:port]")
    if token is not None and not token:
        raise ValueError("the codec token is empty; pass None to switch authentication off")
    origins = frozenset(allowed_origins)
    expected = token.encode() if token is not None else None

    def cors_headers(request: Request) -> dict[str, str]:
        # `Vary` always: a shared cache must not serve one origin's answer to another.
        headers = {"Vary": "Origin"}
        origin = request.headers.get("origin")
        if origin is not None and origin in origins:
            headers["Access-Control-Allow-Origin"] = origin
        return headers

    def authorize(request: Request) -> None:
        if expected is None:
            return
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        # The scheme is case-insensitive (RFC 7235); the token is compared in constant
        # time so the answer does not reveal how much of it matched. Starlette decodes
        # headers as latin-1: encoding back gives the bytes the client sent.
        given = credentials.encode("latin-1", errors="replace")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given, expected):
            raise _Refused(401, "a valid bearer token is required")

    async def answer(
        request: Request,
        direction: Literal["decode", "encode"],
        apply: Callable[[Sequence[Payload]], Awaitable[list[Payload]]],
    ) -> Response:
        headers = cors_headers(request)
        try:
            authorize(request)
            payloads = _parse(await _read_json_body(request))
            try:
                converted = await apply(payloads)
            except ValueError as exc:
                # The codec's errors name the problem (e.g. the key id) and nothing
                # from inside the payload, so they can go back to the operator.
                logger.warning(
                    "codec %s refused: %s",
                    direction,
                    exc,
                    extra={"namespace": request.headers.get("x-namespace")},
                )
                raise _Refused(400, f"cannot {direction}: {exc}") from exc
        except _Refused as refused:
            if refused.status == 401:
                headers["WWW-Authenticate"] = 'Bearer realm="codec"'
            return JSONResponse({"detail": refused.detail}, refused.status, headers=headers)
        return JSONResponse({"payloads": [_to_json(p) for p in converted]}, headers=headers)

    def preflight(request: Request) -> Response:
        headers = cors_headers(request)
        # Disallowed origins get no CORS headers: the browser then refuses the call.
        if "Access-Control-Allow-Origin" in headers:
            headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
            headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE_SECONDS)
        return Response(status_code=204, headers=headers)

    router = APIRouter(prefix=PREFIX, tags=["codec"])
    documented: dict[str, Any] = {
        "response_model": None,
        "responses": {
            200: {"model": CodecPayloads, "description": "The payloads, converted."},
            400: {"model": CodecProblem, "description": "Malformed body or refused payload."},
            401: {"model": CodecProblem, "description": "Missing or wrong bearer token."},
            413: {"model": CodecProblem, "description": "Body too large."},
            415: {"model": CodecProblem, "description": "Not application/json."},
        },
        "openapi_extra": {
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/CodecPayloads"}}
                },
            }
        },
    }

    @router.post("/decode", summary="Decode payloads (Temporal codec server)", **documented)
    async def decode(request: Request) -> Response:
        return await answer(request, "decode", codec.decode)

    @router.post("/encode", summary="Encode payloads (Temporal codec server)", **documented)
    async def encode(request: Request) -> Response:
        return await answer(request, "encode", codec.encode)

    @router.options("/decode", include_in_schema=False)
    async def decode_preflight(request: Request) -> Response:
        return preflight(request)

    @router.options("/encode", include_in_schema=False)
    async def encode_preflight(request: Request) -> Response:
        return preflight(request)

    return router


async def _read_json_body(request: Request) -> bytes:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise _Refused(415, "the body must be application/json")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _Refused(413, f"the body is over {MAX_BODY_BYTES} bytes")
    # Read in chunks so a body without (or lying about) its length is cut off too.
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise _Refused(413, f"the body is over {MAX_BODY_BYTES} bytes")
    return bytes(body)


def _parse(body: bytes) -> list[Payload]:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        # ValueError covers bad UTF-8 and bad JSON; RecursionError absurd nesting.
        raise _Refused(400, "the body is not JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("payloads"), list):
        raise _Refused(400, 'the body must be an object with a "payloads" list')
    for index, item in enumerate(document["payloads"]):
        _check_bytes_fields(f"payloads[{index}]", item)
    message = Payloads()
    try:
        json_format.ParseDict(document, message, max_recursion_depth=_JSON_NESTING_LIMIT)
    except (json_format.ParseError, ValueError, TypeError, RecursionError):
        # Protobuf's message can quote the input, which may be a payload's plaintext.
        raise _Refused(
            400, "the body is not Temporal Payloads JSON (an unknown field or a wrong type)"
        ) from None
    return list(message.payloads)


def _check_bytes_fields(where: str, item: object) -> None:
    """Refuse what protobuf's lenient base64 decoder would silently turn into other bytes."""
    if not isinstance(item, dict):
        raise _Refused(400, f"{where} must be an object")
    metadata = item.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise _Refused(400, f"{where}.metadata must be an object")
        for name, value in metadata.items():
            if not _is_base64(value):
                raise _Refused(400, f"{where}.metadata[{name[:64]!r}] must be base64")
    if not _is_base64(item.get("data")):
        raise _Refused(400, f"{where}.data must be base64")


def _is_base64(value: object) -> bool:
    # Proto3 JSON allows standard or URL-safe base64, padded or not; null is "empty".
    if value is None:
        return True
    if not isinstance(value, str) or not _BASE64.fullmatch(value):
        return False
    unpadded = value.rstrip("=")
    if len(unpadded) % 4 == 1:
        return False
    return value == unpadded or len(value) % 4 == 0


def _to_json(payload: Payload) -> dict[str, Any]:
    document = json_format.MessageToDict(payload)
    # Proto3 JSON omits empty fields; clients of this protocol expect both keys.
    document.setdefault("metadata", {})
    document.setdefault("data", "")
    return document
