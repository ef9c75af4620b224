"""The web pages a signer's browser opens, and the redirects that follow them.

====================================  ==============================================
page                                  what it does
====================================  ==============================================
``GET /activationpage.html?act=``     the activation form
``POST /activationpage.html``         activate: account active, certificate for a year
``GET /signingpage.html?sgn=``        the sign form (sign / reject)
``POST /signingpage.html``            sign or reject (`sandbox.signing`)
``GET /viewpage.html?view=``          the document's signers, and its PDF
``GET /document.pdf?token=``          the current PDF, for a usable sign or view link
``GET /preregistration.html``         the pre-registration link of a registration
====================================  ==============================================

A link that cannot be used answers a small page with HTTP 404 (unknown), 401
(used), 408 (expired) or 406 (an earlier signer has not signed yet). On success
the browser gets 303 See Other to the partner's URL with the AES ``msg``, built
exactly as Digisign builds it, and the sandbox calls the same URL itself
(`sandbox.delivery`); a lost-redirect fault, a registration with ``redirect:
false`` or a partner without a URL gets a "done" page instead of the 303.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from digisign.endpoints import Endpoint
from sandbox import html, notifs
from sandbox.api.links import ACTIVATION_PAGE, PREREGISTRATION_PAGE, SIGN_PAGE, VIEW_PAGE
from sandbox.api.register import CERTIFICATE_VALIDITY_S
from sandbox.context import Sandbox, sandbox_of
from sandbox.delivery import redirect_url, resolve
from sandbox.signing import Outcome, act, session_problem

logger = logging.getLogger("sandbox.pages")

_STATUS_OF: dict[Outcome, int] = {
    Outcome.NOT_FOUND: 404,
    Outcome.USED: 401,
    Outcome.EXPIRED: 408,
    Outcome.NOT_YET: 406,
}


def _plaintext(payload: dict[str, Any]) -> str:
    # Java's JSON writers put no spaces between members; neither do we.
    return json.dumps(payload, separators=(",", ":"))


async def _token(request: Request, name: str) -> str:
    """The link token: the form's hidden field, else the query parameter."""
    if request.method == "POST":
        form = await request.form()
        value = form.get(name)
        if isinstance(value, str) and value:
            return value
    return request.query_params.get(name, "")


def _deliver(
    request: Request,
    *,
    sandbox: Sandbox,
    partner_userid: str,
    kind: str,
    payload: dict[str, Any],
    done: tuple[str, str],
    allowed: bool = True,
) -> Response:
    """Redirect the browser to the partner (and call it from the server), or say done."""
    partner = sandbox.partner(partner_userid)
    target = ""
    if partner is not None:
        target = (
            partner.activation_redirect_url if kind == "activation" else partner.sign_redirect_url
        )
    if partner is None or not target or not allowed:
        return html.done_page(*done)
    url = redirect_url(
        resolve(sandbox.public_base(request), target), partner.cipher.encrypt(_plaintext(payload))
    )
    fault_endpoint = Endpoint.ACTIVATION_LINK if kind == "activation" else Endpoint.SIGN_LINK
    browser = sandbox.delivery.deliver(
        partner=partner,
        kind=kind,
        url=url,
        browser_lost=sandbox.faults.lose_browser_redirect(fault_endpoint),
    )
    if browser is None:
        return html.done_page(*done)
    return RedirectResponse(browser, status_code=303)


async def activation_page(request: Request) -> Response:
    """``GET``/``POST /activationpage.html``."""
    sandbox = sandbox_of(request)
    token = await _token(request, "act")
    now = sandbox.clock.timestamp()
    with sandbox.store.transaction() as tx:
        session = tx.sessions.get(token, "activation")
        problem = session_problem(session, now)
        user = tx.users.by_kode(session.kode_user or "") if session else None
        if problem is None and user is None:
            problem = Outcome.NOT_FOUND
        if problem is not None or user is None or session is None:
            return html.error_page(_STATUS_OF[problem or Outcome.NOT_FOUND])
        if request.method == "GET":
            return html.activation_page(token, name=user.name, email=user.email)
        if not tx.sessions.use(token, now=now):
            return html.error_page(401)
        tx.users.activate(user.kode_user, now=now, certificate_until=now + CERTIFICATE_VALIDITY_S)
        tx.sessions.close_for_user(user.kode_user, now=now)
    logger.info("activated %s for %s", user.kode_user, session.partner)
    payload = {
        "result": "00",
        "notif": notifs.ACTIVATED,
        "email_user": user.email,
        "nik": user.nik,
    }
    return _deliver(
        request,
        sandbox=sandbox,
        partner_userid=session.partner,
        kind="activation",
        payload=payload,
        done=(notifs.ACTIVATED, "Your DigiSign account is active."),
        allowed=user.redirect,
    )


async def signing_page(request: Request) -> Response:
    """``GET``/``POST /signingpage.html``."""
    sandbox = sandbox_of(request)
    token = await _token(request, "sgn")
    if request.method == "GET":
        return _show_sign_page(sandbox, token)
    form = await request.form()
    action = form.get("action", "sign")
    if action not in ("sign", "reject"):
        return html.page("Permintaan tidak valid", "Unknown action.", status=400)
    result = await act(sandbox, token, reject=action == "reject")
    if result.outcome in _STATUS_OF:
        return html.error_page(_STATUS_OF[result.outcome])
    if result.outcome is Outcome.CERTIFICATE_INVALID:
        return html.reregistration_page()
    if result.outcome is Outcome.BALANCE_EMPTY:
        return html.balance_page(notifs.SIGNATURE_BALANCE_EMPTY)
    rejected = result.outcome is Outcome.REJECTED
    logger.info("document %s %s by a signer", result.document_id, result.outcome.value)
    with sandbox.store.transaction() as tx:
        document = tx.documents.get(result.document_id)
    payload = {
        "document_id": result.document_id,
        "status": "0",
        "status_document": result.status_document,
        "result": "00",
        "notif": notifs.REJECTED if rejected else notifs.SIGNED,
        "email_user": result.email,
    }
    return _deliver(
        request,
        sandbox=sandbox,
        partner_userid=document.partner if document else "",
        kind="sign",
        payload=payload,
        done=(payload["notif"], "Rejected." if rejected else "Signed."),
    )


def _show_sign_page(sandbox: Sandbox, token: str) -> Response:
    with sandbox.store.transaction() as tx:
        session = tx.sessions.get(token, "sign")
        problem = session_problem(session, sandbox.clock.timestamp())
        document = tx.documents.get(session.document_id or "") if session else None
    if problem is None and document is None:
        problem = Outcome.NOT_FOUND
    if problem is not None or document is None or session is None:
        return html.error_page(_STATUS_OF[problem or Outcome.NOT_FOUND])
    if document.waiting_for_earlier(session.email or ""):
        return html.error_page(406)
    return html.sign_page(token, document=document, pdf_url=_pdf_url(token))


def _pdf_url(token: str) -> str:
    return f"/document.pdf?token={quote(token, safe='')}"


async def view_page(request: Request) -> Response:
    """``GET /viewpage.html``: usable until it expires (viewing changes nothing)."""
    sandbox = sandbox_of(request)
    token = request.query_params.get("view", "")
    with sandbox.store.transaction() as tx:
        session = tx.sessions.get(token, "view")
        problem = session_problem(session, sandbox.clock.timestamp())
        document = tx.documents.get(session.document_id or "") if session else None
    if problem is not None or document is None:
        return html.error_page(_STATUS_OF[problem or Outcome.NOT_FOUND])
    return html.view_page(document=document, pdf_url=_pdf_url(token))


async def document_pdf(request: Request) -> Response:
    """``GET /document.pdf``: the current PDF behind a usable sign or view link."""
    sandbox = sandbox_of(request)
    token = request.query_params.get("token", "")
    with sandbox.store.transaction() as tx:
        session = tx.sessions.get(token, "sign") or tx.sessions.get(token, "view")
        problem = session_problem(session, sandbox.clock.timestamp())
        content = tx.documents.pdf(session.document_id or "") if session else None
    if problem is not None or content is None:
        return html.error_page(_STATUS_OF[problem or Outcome.NOT_FOUND])
    headers = {"Cache-Control": "no-store", "Content-Disposition": "inline"}
    return Response(content, media_type="application/pdf", headers=headers)


async def preregistration_page(request: Request) -> Response:
    """``GET /preregistration.html``."""
    return html.preregistration_page()


ROUTES = [
    Route(ACTIVATION_PAGE, activation_page, methods=["GET", "POST"]),
    Route(SIGN_PAGE, signing_page, methods=["GET", "POST"]),
    Route(VIEW_PAGE, view_page, methods=["GET"]),
    Route("/document.pdf", document_pdf, methods=["GET"]),
    Route(PREREGISTRATION_PAGE, preregistration_page, methods=["GET"]),
]
"""The web pages' routes."""
