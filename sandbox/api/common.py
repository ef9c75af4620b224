"""What every Digisign API call goes through before its endpoint's own checks.

The server's order (`shared/digisign-behaviour.md`, "Every endpoint"):

1. not ``multipart/form-data``            → ``30 "Format request API salah."``
2. no ``Authorization`` header            → ``91`` (a null pointer on Digisign's side)
3. unknown bearer token                   → ``55 "token salah"``
4. multipart that does not parse          → ``05 "Request Data tidak ditemukan"``
5. no ``jsonfield`` part                  → an empty body
6. ``jsonfield`` not ``{"JSONFile": {...}}`` → ``05 "Request Data tidak ditemukan"``
7. no ``userid``                          → ``05 "Parameter userid tidak ditemukan"``
8. unknown ``userid``                     → ``55 "userid tidak ditemukan"``
9. ``userid`` of another partner          → ``55 "Token dan Mitra tidak sesuai"``

Registration answers carry ``refTrx`` (``REGD`` + time), errors included.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from digisign.endpoints import Endpoint
from digisign.envelope import as_text
from sandbox import notifs
from sandbox.clock import ref_trx
from sandbox.config import PartnerConfig
from sandbox.context import Sandbox, sandbox_of

logger = logging.getLogger("sandbox.api")

MAX_FORM_PARTS = 32
"""More parts than any Digisign request has; guards the parser, not the protocol."""


@dataclass(frozen=True)
class Call:
    """One API request that passed the common checks.

    Attributes:
        sandbox: the sandbox serving it.
        endpoint: which API.
        partner: the calling partner (token and userid agree).
        fields: the ``JSONFile`` object.
        files: the uploaded file parts, by form field name.
        now: the sandbox time the request arrived.
        ref_trx: the transaction reference its answers carry, if any.
        public_base: the base URL of links handed out in answers.
    """

    sandbox: Sandbox
    endpoint: Endpoint
    partner: PartnerConfig
    fields: dict[str, Any] = field(repr=False)
    files: dict[str, bytes] = field(repr=False)
    now: float
    ref_trx: str | None
    public_base: str

    def text(self, key: str) -> str | None:
        """A field as text: numbers become text, absent or null is None."""
        return as_text(self.fields.get(key))

    def flag(self, key: str) -> bool:
        """A field as a boolean: true, "true", 1 and "1" are true."""
        return as_flag(self.fields.get(key))

    def answer(self, body: dict[str, Any]) -> Response:
        """Answer with ``body`` inside ``JSONFile`` (and this call's ``refTrx``)."""
        return reply(body, ref=self.ref_trx)


def as_flag(value: Any) -> bool:
    """A JSON value read as Digisign reads booleans."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1")


def reply(body: dict[str, Any], *, ref: str | None = None) -> Response:
    """A Digisign answer: ``{"JSONFile": {...}}``, with ``refTrx`` first when given."""
    inner = {"refTrx": ref, **body} if ref else body
    return JSONResponse({"JSONFile": inner})


def result(code: str, notif: str, *, ref: str | None = None, **extra: Any) -> Response:
    """A plain ``result``/``notif`` answer, with extra members when given."""
    return reply({"result": code, "notif": notif, **extra}, ref=ref)


async def read_call(request: Request, endpoint: Endpoint) -> Call | Response:
    """Apply the common checks; the `Call` to handle, or the answer that ends it."""
    sandbox = sandbox_of(request)
    now = sandbox.clock.timestamp()
    ref = ref_trx("REGD", now) if endpoint is Endpoint.REGISTER else None
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        return result("30", notifs.NOT_MULTIPART, ref=ref)
    authorization = request.headers.get("authorization")
    if authorization is None:
        return result("91", notifs.SYSTEM_TIMEOUT, ref=ref)
    partner = sandbox.partner_by_token(_bearer_token(authorization))
    if partner is None:
        return result("55", notifs.WRONG_TOKEN, ref=ref)
    try:
        async with request.form(max_files=MAX_FORM_PARTS, max_fields=MAX_FORM_PARTS) as form:
            files: dict[str, bytes] = {}
            jsonfield: str | None = None
            for name, value in form.multi_items():
                if isinstance(value, UploadFile):
                    content = await value.read()
                    if name == "jsonfield":
                        jsonfield = content.decode("utf-8", errors="replace")
                    else:
                        files[name] = content
                elif name == "jsonfield":
                    jsonfield = value
    except (HTTPException, MultiPartException, ValueError):
        return result("05", notifs.REQUEST_DATA_NOT_FOUND, ref=ref)
    if jsonfield is None:
        # Digisign answers a request without jsonfield with nothing at all.
        return Response(b"", media_type="text/html")
    fields = _json_file(jsonfield)
    if fields is None:
        return result("05", notifs.REQUEST_DATA_NOT_FOUND, ref=ref)
    userid = as_text(fields.get("userid"))
    if not userid:
        return result("05", notifs.USERID_MISSING, ref=ref)
    owner = sandbox.partner(userid)
    if owner is None:
        return result("55", notifs.USERID_NOT_FOUND, ref=ref)
    if owner.userid != partner.userid:
        return result("55", notifs.TOKEN_PARTNER_MISMATCH, ref=ref)
    return Call(
        sandbox=sandbox,
        endpoint=endpoint,
        partner=partner,
        fields=fields,
        files=files,
        now=now,
        ref_trx=ref,
        public_base=sandbox.public_base(request),
    )


Work = Callable[[Call], dict[str, Any] | Awaitable[dict[str, Any]]]
"""An endpoint's own checks and effects: the ``JSONFile`` body to answer (sync or async)."""


async def handle(request: Request, endpoint: Endpoint, work: Work) -> Response:
    """Answer a JSON endpoint: the common checks, then ``work``; the result code is logged.

    Args:
        request: the API request.
        endpoint: which API it is.
        work: what the endpoint does with a `Call` that passed the common checks.

    Returns:
        The common checks' answer, or ``work``'s body inside ``JSONFile``.
    """
    call = await read_call(request, endpoint)
    if isinstance(call, Response):
        return call
    outcome = work(call)
    body = outcome if isinstance(outcome, dict) else await outcome
    # UPDATE-EP's failure answer says "res" where every other answer says "result".
    code = body.get("result", body.get("res"))
    logger.info("%s by %s -> %s", endpoint.name, call.partner.userid, code)
    return call.answer(body)


def _bearer_token(header: str) -> str:
    scheme, _, token = header.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else header.strip()


def _json_file(text: str) -> dict[str, Any] | None:
    """The ``JSONFile`` object of a ``jsonfield``, or None when there is none.

    Like the org.json parser Digisign uses, text after the first complete object
    (the document's examples end some requests in a stray ``"}``) is ignored.
    """
    try:
        outer, _ = json.JSONDecoder().raw_decode(text.strip())
    except (ValueError, RecursionError):
        return None
    if not isinstance(outer, dict):
        return None
    inner = outer.get("JSONFile")
    return inner if isinstance(inner, dict) else None
