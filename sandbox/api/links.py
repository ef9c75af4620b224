"""genACTPage and genSignPage: fresh single-use links to the web pages.

Every call issues a new session (activation: 7 minutes, signing and viewing: 20
minutes); earlier links stay valid until used or expired. The token is random
base64 and URL-encoded in the link, like Digisign's (``%2B``, ``%2F``, ``%3D``).
"""

from __future__ import annotations

import base64
import secrets
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from digisign.endpoints import Endpoint
from sandbox import notifs
from sandbox.api.common import Call, handle
from sandbox.config import EarlySignLinks

ACTIVATION_TTL_S = 7 * 60
SIGN_TTL_S = 20 * 60

ACTIVATION_PAGE = "/activationpage.html"
SIGN_PAGE = "/signingpage.html"
VIEW_PAGE = "/viewpage.html"
PREREGISTRATION_PAGE = "/preregistration.html"


def new_token(size: int = 48) -> str:
    """A fresh, unguessable link token: base64 of ``size`` random bytes."""
    return base64.b64encode(secrets.token_bytes(size)).decode("ascii")


def page_link(base: str, page: str, parameter: str, token: str) -> str:
    """The link to a web page carrying ``token``."""
    return f"{base}{page}?{parameter}={quote(token, safe='')}"


async def activation_link(request: Request) -> Response:
    """``POST /gen/genACTPage.html``."""
    return await handle(request, Endpoint.ACTIVATION_LINK, _activation_link)


def _activation_link(call: Call) -> dict[str, Any]:
    email = call.text("email_user") or ""
    with call.sandbox.store.transaction() as tx:
        tx.users.purge_lapsed_preregistrations(call.now)
        user = tx.users.by_email(email)
        if user is None:
            return {"result": "06", "notif": notifs.GENERAL_ERROR}
        if user.active:
            return {"result": "14", "notif": notifs.ALREADY_ACTIVATED}
        if user.partner != call.partner.userid:
            return {"result": "12", "notif": notifs.USER_OF_OTHER_PARTNER}
        token = new_token()
        tx.sessions.create(
            token,
            kind="activation",
            partner=call.partner.userid,
            now=call.now,
            ttl_s=ACTIVATION_TTL_S,
            kode_user=user.kode_user,
        )
    return {"result": "00", "link": page_link(call.public_base, ACTIVATION_PAGE, "act", token)}


async def sign_link(request: Request) -> Response:
    """``POST /gen/genSignPage.html``."""
    return await handle(request, Endpoint.SIGN_LINK, _sign_link)


def _not_found(notif: str) -> dict[str, Any]:
    # Every genSignPage error is 05, told apart by notif only.
    return {"result": "05", "notif": notif}


def _sign_link(call: Call) -> dict[str, Any]:
    document_id = call.text("document_id") or ""
    email = call.text("email_user") or ""
    with call.sandbox.store.transaction() as tx:
        document = tx.documents.get(document_id)
        if document is None or document.partner != call.partner.userid:
            return _not_found(notifs.DOCUMENT_NOT_FOUND)
        if call.flag("view_only"):
            if not document.is_viewer(email):
                return _not_found(notifs.NOT_A_SIGNER)
            kind, page, parameter = "view", VIEW_PAGE, "view"
        else:
            user = tx.users.by_email(email)
            if user is None:
                return _not_found(notifs.USER_NOT_FOUND)
            if not user.active:
                return _not_found(notifs.USER_NOT_ACTIVATED)
            boxes = document.boxes_of(email)
            if not boxes:
                return _not_found(notifs.NOT_A_SIGNER)
            if all(box.status == "signed" for box in boxes):
                return _not_found(notifs.ALREADY_SIGNED)
            if document.status == "rejected":
                return _not_found(notifs.DOCUMENT_REJECTED)
            refuse_early = call.partner.early_sign_links is EarlySignLinks.REFUSE
            if refuse_early and document.waiting_for_earlier(email):
                return _not_found(notifs.NOT_YET_THEIR_TURN)
            email = boxes[0].email
            kind, page, parameter = "sign", SIGN_PAGE, "sgn"
        token = new_token()
        tx.sessions.create(
            token,
            kind=kind,
            partner=call.partner.userid,
            now=call.now,
            ttl_s=SIGN_TTL_S,
            document_id=document.document_id,
            email=email,
        )
    return {"result": "00", "link": page_link(call.public_base, page, parameter, token)}
