"""The admin API under ``/_sandbox/``: inspect the state and steer the sandbox (JSON).

=============================================  ==========================================
``GET    /_sandbox/healthz``                   liveness, clock
``GET    /_sandbox/clock``                     the sandbox time and its offset
``POST   /_sandbox/clock/advance``             ``{"seconds": N}``: move time forward
``GET    /_sandbox/partners``                  partners' settings and balances (no secrets)
``PUT    /_sandbox/partners/{userid}/balances`` ``{"document": 0, ...}``: set balances
``GET    /_sandbox/ledger[?partner=]``         charges, and totals by kind
``GET    /_sandbox/users``                     users (no NIK, no phone)
``POST   /_sandbox/users/{email}/certificate`` ``{"state": "expired"|"revoked"|"valid"}``
``POST   /_sandbox/users/{email}/block``       ``{"blocked": true}`` (the default) or false
``GET    /_sandbox/documents``                 every document
``GET    /_sandbox/documents/{id}``            one document with its signers
``GET    /_sandbox/faults``                    the fault plan
``PUT    /_sandbox/faults``                    ``{"endpoint": "register"|null, "settings": {...}}``
``DELETE /_sandbox/faults``                    no faults any more
``GET    /_sandbox/identity``                  configured failures and the outage switch
``PUT    /_sandbox/identity``                  ``{"outage": true}``: identity checks answer 91
``PUT    /_sandbox/identity/{nik}``            ``{"fail": "<check>"|null}``
``GET    /_sandbox/outbox``                    e-mails "sent"
``GET    /_sandbox/redirects``                 redirect deliveries (no msg)
``GET    /_sandbox/receiver/{kind}?msg=``      a built-in partner page that decrypts a redirect
=============================================  ==========================================

The admin API is unauthenticated: the sandbox is for one machine (it listens on
127.0.0.1 unless told otherwise).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from digisign.endpoints import Endpoint
from digisign.errors import RedirectError
from sandbox.api.register import CERTIFICATE_VALIDITY_S
from sandbox.clock import iso
from sandbox.config import BalanceKind, IdentityCheck
from sandbox.context import Sandbox, sandbox_of
from sandbox.faults import FaultSettings
from sandbox.store import Document, User, sha256

router = APIRouter(prefix="/_sandbox", tags=["sandbox admin"])


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Advance(_Body):
    """How far to move the clock."""

    seconds: float = Field(ge=0, le=10 * 365 * 24 * 3600)


class CertificateChange(_Body):
    """What to make of a user's certificate."""

    state: Literal["expired", "revoked", "valid"]


class BlockChange(_Body):
    """Block or unblock a user."""

    blocked: bool = True


class FaultChange(_Body):
    """Fault settings to merge into an endpoint's (or, with no endpoint, the default)."""

    endpoint: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict)


class IdentityFailure(_Body):
    """The identity check that fails for a NIK, or None to clear it."""

    fail: IdentityCheck | None


class IdentityOutage(_Body):
    """Whether the identity service is down."""

    outage: bool


def _user_json(user: User, now: float) -> dict[str, Any]:
    return {
        "kode_user": user.kode_user,
        "email": user.email,
        "name": user.name,
        "partner": user.partner,
        "status": user.status,
        "certificate": user.certificate(now).value,
        "certificate_expires_at": iso(user.cert_expires_at),
        "blocked": user.blocked,
        "registered_at": iso(user.registered_at),
        "activation_expires_at": iso(user.activation_expires_at),
        "activated_at": iso(user.activated_at),
    }


def _document_json(document: Document, content: bytes | None) -> dict[str, Any]:
    return {
        "document_id": document.document_id,
        "partner": document.partner,
        "status": document.status,
        "pages": document.pages,
        "payment": document.payment,
        "sequence_option": document.sequence_option,
        "meterai_count": document.meterai_count,
        "uploaded_sha256": document.uploaded_sha256,
        "sha256": sha256(content) if content is not None else None,
        "size": len(content) if content is not None else None,
        "created_at": iso(document.created_at),
        "updated_at": iso(document.updated_at),
        "signers": [
            {
                "email": s.email,
                "name": s.name,
                "user": s.user_type,
                "page": s.page,
                "box": list(s.box),
                "visible": s.visible,
                "signing_seq": s.signing_seq,
                "status": s.status,
                "acted_at": iso(s.acted_at),
            }
            for s in document.signers
        ],
        "viewers": [{"email": v.email, "name": v.name} for v in document.viewers],
    }


def _user_or_404(sandbox: Sandbox, email: str) -> User:
    with sandbox.store.transaction() as tx:
        user = tx.users.by_email(email)
    if user is None:
        raise HTTPException(404, "no such user")
    return user


@router.get("/healthz")
def healthz(request: Request) -> dict[str, Any]:
    """Liveness."""
    sandbox = sandbox_of(request)
    return {"status": "ok", "now": iso(sandbox.clock.timestamp()), "state": sandbox.store.path}


@router.get("/clock")
def clock(request: Request) -> dict[str, Any]:
    """The sandbox time."""
    sandbox = sandbox_of(request)
    return {"now": iso(sandbox.clock.timestamp()), "offset_seconds": sandbox.clock.offset}


@router.post("/clock/advance")
def advance_clock(request: Request, body: Advance) -> dict[str, Any]:
    """Move the sandbox clock forward: links, activation windows and certificates age."""
    sandbox_of(request).clock.advance(body.seconds)
    return clock(request)


@router.get("/partners")
def partners(request: Request) -> list[dict[str, Any]]:
    """Every partner's public settings and balances."""
    sandbox = sandbox_of(request)
    with sandbox.store.transaction() as tx:
        return [
            {
                "userid": p.userid,
                "activation_redirect_url": p.activation_redirect_url,
                "sign_redirect_url": p.sign_redirect_url,
                "document_id_reuse": p.document_id_reuse.value,
                "early_sign_links": p.early_sign_links.value,
                "balances": tx.accounts.balances(p.userid),
            }
            for p in sandbox.config.partners
        ]


@router.put("/partners/{userid}/balances")
def set_balances(request: Request, userid: str, body: dict[BalanceKind, int]) -> dict[str, int]:
    """Set some of a partner's balances; 0 makes the next charge of that kind fail."""
    sandbox = sandbox_of(request)
    if sandbox.partner(userid) is None:
        raise HTTPException(404, "no such partner")
    if any(amount < 0 for amount in body.values()):
        raise HTTPException(422, "balances must not be negative")
    with sandbox.store.transaction() as tx:
        for kind, amount in body.items():
            tx.accounts.set_balance(userid, kind, amount)
        return tx.accounts.balances(userid)


@router.get("/ledger")
def ledger(request: Request, partner: str | None = None) -> dict[str, Any]:
    """What partners were charged: entries oldest first, and totals by kind."""
    with sandbox_of(request).store.transaction() as tx:
        entries = tx.accounts.ledger(partner)
    totals = Counter[str]()
    for entry in entries:
        totals[entry.kind] += entry.amount
    return {
        "entries": [
            {
                "id": e.id,
                "at": iso(e.at),
                "partner": e.partner,
                "kind": e.kind,
                "amount": e.amount,
                "reference": e.reference,
            }
            for e in entries
        ],
        "totals": {kind.value: totals.get(kind.value, 0) for kind in BalanceKind},
    }


@router.get("/users")
def users(request: Request) -> list[dict[str, Any]]:
    """Every user, without NIK or phone."""
    sandbox = sandbox_of(request)
    now = sandbox.clock.timestamp()
    with sandbox.store.transaction() as tx:
        return [_user_json(user, now) for user in tx.users.all()]


@router.post("/users/{email}/certificate")
def set_certificate(request: Request, email: str, body: CertificateChange) -> dict[str, Any]:
    """Expire, revoke or renew an active user's certificate."""
    sandbox = sandbox_of(request)
    user = _user_or_404(sandbox, email)
    if not user.active or user.cert_expires_at is None:
        raise HTTPException(409, "the user has no certificate yet (not activated)")
    now = sandbox.clock.timestamp()
    expires_at, revoked = {
        "expired": (min(user.cert_expires_at, now - 1), False),
        "revoked": (user.cert_expires_at, True),
        "valid": (now + CERTIFICATE_VALIDITY_S, False),
    }[body.state]
    with sandbox.store.transaction() as tx:
        tx.users.set_certificate(user.kode_user, expires_at=expires_at, revoked=revoked)
        updated = tx.users.by_kode(user.kode_user)
    assert updated is not None  # noqa: S101 - updated inside the same transaction
    return _user_json(updated, now)


@router.post("/users/{email}/block")
def block(request: Request, email: str, body: BlockChange | None = None) -> dict[str, Any]:
    """Block (or unblock) a user: registering them answers 78."""
    sandbox = sandbox_of(request)
    user = _user_or_404(sandbox, email)
    with sandbox.store.transaction() as tx:
        tx.users.set_blocked(user.kode_user, (body or BlockChange()).blocked)
        updated = tx.users.by_kode(user.kode_user)
    assert updated is not None  # noqa: S101 - updated inside the same transaction
    return _user_json(updated, sandbox.clock.timestamp())


@router.get("/documents")
def documents(request: Request) -> list[dict[str, Any]]:
    """Every document, oldest first."""
    with sandbox_of(request).store.transaction() as tx:
        found = [tx.documents.get(document_id) for document_id in tx.documents.ids()]
        return [_document_json(d, tx.documents.pdf(d.document_id)) for d in found if d]


@router.get("/documents/{document_id}")
def document(request: Request, document_id: str) -> dict[str, Any]:
    """One document with its signers."""
    with sandbox_of(request).store.transaction() as tx:
        found = tx.documents.get(document_id)
        if found is None:
            raise HTTPException(404, "no such document")
        return _document_json(found, tx.documents.pdf(document_id))


@router.get("/faults")
def faults(request: Request) -> dict[str, Any]:
    """The fault plan in force."""
    return sandbox_of(request).faults.snapshot()


@router.put("/faults")
def change_faults(request: Request, body: FaultChange) -> dict[str, Any]:
    """Merge settings into an endpoint's faults (or the default's)."""
    plan = sandbox_of(request).faults
    endpoint = None
    if body.endpoint is not None:
        key = body.endpoint.strip().upper().replace("-", "_")
        if key not in Endpoint.__members__:
            raise HTTPException(404, f"unknown endpoint {body.endpoint!r}")
        endpoint = Endpoint[key]
    unknown = set(body.settings) - set(FaultSettings.model_fields)
    if unknown:
        raise HTTPException(422, f"unknown fault settings: {sorted(unknown)}")
    try:
        plan.apply(endpoint, body.settings)
    except ValidationError as exc:
        problems = exc.errors(include_input=False, include_url=False, include_context=False)
        raise HTTPException(422, problems) from None
    return plan.snapshot()


@router.delete("/faults")
def reset_faults(request: Request) -> dict[str, Any]:
    """No faults any more (the random streams restart from the seed)."""
    plan = sandbox_of(request).faults
    plan.reset()
    return plan.snapshot()


@router.get("/identity")
def identity(request: Request) -> dict[str, Any]:
    """Configured identity failures (NIK → check) and whether the service is down."""
    sandbox = sandbox_of(request)
    with sandbox.store.transaction() as tx:
        failures = tx.users.identity_failures()
    return {"outage": sandbox.identity.down, "failures": failures}


@router.put("/identity")
def set_outage(request: Request, body: IdentityOutage) -> dict[str, Any]:
    """Take the identity service down (registrations answer 91) or bring it back."""
    sandbox_of(request).identity.set_down(body.outage)
    return identity(request)


@router.put("/identity/{nik}")
def set_identity_failure(request: Request, nik: str, body: IdentityFailure) -> dict[str, Any]:
    """Make one identity check fail for a NIK from now on (null: pass again)."""
    sandbox = sandbox_of(request)
    with sandbox.store.transaction() as tx:
        tx.users.set_identity_failure(nik, body.fail.value if body.fail else None)
    return identity(request)


@router.get("/outbox")
def outbox(request: Request) -> list[dict[str, Any]]:
    """E-mails Digisign would have sent (activation, re-registration notices)."""
    with sandbox_of(request).store.transaction() as tx:
        mails = tx.logs.outbox()
    return [{**mail, "at": iso(mail["at"])} for mail in mails]


@router.get("/redirects")
def redirects(request: Request) -> list[dict[str, Any]]:
    """Redirect deliveries: kind, target (no query), browser or server, outcome."""
    with sandbox_of(request).store.transaction() as tx:
        log = tx.logs.redirects()
    return [{**entry, "at": iso(entry["at"])} for entry in log]


@router.get("/receiver/{kind}")
def receiver(request: Request, kind: str, msg: str = "") -> dict[str, Any]:
    """A partner page for the default partner: decrypts the redirect it receives."""
    for partner in sandbox_of(request).config.partners:
        try:
            plaintext = partner.cipher.decrypt(msg)
        except RedirectError:
            continue
        try:
            payload: Any = json.loads(plaintext)
        except ValueError:
            payload = None
        return {"kind": kind, "partner": partner.userid, "plaintext": plaintext, "payload": payload}
    raise HTTPException(400, "msg does not decrypt with any partner's key")
