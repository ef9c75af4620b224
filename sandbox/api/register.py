"""REG-MITRA: register a user, with a (simulated, charged) identity check.

After the field checks (`register_rules`), what is already known decides:

=========================================  ===========================================
found                                      answer (charge)
=========================================  ===========================================
a blocked user with this e-mail or NIK     ``78`` (none)
same e-mail and NIK, not activated         ``00`` "Email sudah terdaftar, namun belum
                                           melakukan aktivasi..." + kode_user (none)
same e-mail and NIK, valid certificate     ``00`` "Anda sudah terdaftar sebelumnya..." (none)
same e-mail and NIK, certificate expired   identity re-checked (one check), certificate
or revoked                                 renewed, ``00`` "Registrasi berhasil. Anda
                                           sudah terdaftar sebelumnya..." with ``data``
the NIK under another e-mail               ``14`` with ``email_registered`` (none)
the e-mail under another NIK               ``14`` (none)
the phone under another user               ``15`` (none)
nobody                                     identity check (one check); ``00`` with
                                           kode_user, expired_aktifasi, info, data
=========================================  ===========================================

An identity check answers ``91`` while the service is down (no charge), ``12``
"Saldo verifikasi text habis" when the balance is empty (no charge), and the
configured ``12`` variant when the NIK is set to fail (charged, and counted
towards the ``20`` rule). A refused selfie (too large, not JPEG) is answered
before any check: not charged, but counted. A pre-registration whose 30-day
activation window closed is forgotten, as Digisign deletes it.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from digisign.endpoints import Endpoint
from sandbox import identity, notifs
from sandbox.api.common import Call, handle
from sandbox.api.links import PREREGISTRATION_PAGE, new_token, page_link
from sandbox.api.register_rules import check_birth_date, check_fields, check_photos
from sandbox.clock import format_wib, wib
from sandbox.config import BalanceKind, IdentityCheck
from sandbox.store import CertificateState, NewUser, Tx, User

MAX_FAILED_CHECKS = 3
"""More failed identity checks than this for a partner+NIK+e-mail answer ``20``."""
ACTIVATION_WINDOW_S = 30 * 24 * 3600
CERTIFICATE_VALIDITY_S = 365 * 24 * 3600

_FIELDS = ("tgl_lahir", "tlp", "idktp", "nama", "email", "jenis_kelamin", "tmp_lahir")


async def register(request: Request) -> Response:
    """``POST /REG-MITRA.html``."""
    return await handle(request, Endpoint.REGISTER, _register)


def _register(call: Call) -> dict[str, Any]:
    fields = {name: call.text(name) for name in _FIELDS}
    failure = check_birth_date(fields["tgl_lahir"])
    if failure:
        return failure
    partner = call.partner.userid
    nik, email = fields["idktp"] or "", fields["email"] or ""
    store = call.sandbox.store
    with store.transaction() as tx:
        if tx.users.failed_checks(partner, nik, email) > MAX_FAILED_CHECKS:
            return {"result": "20", "notif": notifs.TOO_MANY_ATTEMPTS}
    failure = check_fields(fields)
    if failure:
        return failure
    failure, counts_as_failed_check = check_photos(call.files)
    if failure:
        if counts_as_failed_check:
            with store.transaction() as tx:
                tx.users.record_failed_check(partner, nik, email)
        return failure
    with store.transaction() as tx:
        tx.users.purge_lapsed_preregistrations(call.now)
        return _known_or_new(call, tx, fields)


def _known_or_new(call: Call, tx: Tx, fields: dict[str, str | None]) -> dict[str, Any]:
    nik, email, phone = fields["idktp"] or "", fields["email"] or "", fields["tlp"] or ""
    by_email, by_nik = tx.users.by_email(email), tx.users.by_nik(nik)
    if any(user is not None and user.blocked for user in (by_email, by_nik)):
        return {"result": "78", "notif": notifs.USER_BLOCKED}
    if by_email is not None and by_email.nik == nik:
        return _known(call, tx, by_email)
    if by_nik is not None:
        return _conflict(notifs.NIK_UNDER_OTHER_EMAIL, by_nik, fields, email_registered=True)
    if by_email is not None:
        return _conflict(notifs.EMAIL_UNDER_OTHER_NIK, by_email, fields, email_registered=False)
    if tx.users.phone_owner(phone) is not None:
        return {"result": "15", "notif": notifs.PHONE_IN_USE}
    failure = _check_identity(call, tx, nik, email)
    if failure:
        return failure
    kode_user = _new_kode_user(tx, call.now)
    tx.users.insert(
        NewUser(
            kode_user=kode_user,
            email=email,
            nik=nik,
            phone=phone,
            name=fields["nama"] or "",
            birth_date=fields["tgl_lahir"] or "",
            partner=call.partner.userid,
            redirect=call.flag("redirect"),
            registered_at=call.now,
            activation_expires_at=call.now + ACTIVATION_WINDOW_S,
        )
    )
    tx.logs.send_mail(
        recipient=email,
        kind="activation",
        subject="Aktivasi akun DigiSign",
        body=(
            "Data anda telah terverifikasi. Silahkan lakukan aktivasi akun DigiSign anda "
            f"melalui tautan dari mitra anda sebelum {format_wib(call.now + ACTIVATION_WINDOW_S)}."
            f" Kode user: {kode_user}."
        ),
        now=call.now,
    )
    # Not a session: Digisign's page only says "check your e-mail". 16 bytes, as its tokens.
    token = new_token(16)
    return {
        "data": dict(identity.ALL_PASSED),
        "kode_user": kode_user,
        "expired_aktifasi": format_wib(call.now + ACTIVATION_WINDOW_S),
        "result": "00",
        "notif": notifs.REGISTERED,
        "info": page_link(call.public_base, PREREGISTRATION_PAGE, "preregister", token),
    }


def _known(call: Call, tx: Tx, user: User) -> dict[str, Any]:
    """The same e-mail and NIK registered before."""
    if not user.active:
        return {"result": "00", "notif": notifs.PRE_REGISTERED, "kode_user": user.kode_user}
    if user.certificate(call.now) is CertificateState.VALID:
        return {"kode_user": user.kode_user, "result": "00", "notif": notifs.ALREADY_REGISTERED}
    # Expired or revoked: Digisign re-checks the identity (charged) and renews.
    failure = _check_identity(call, tx, user.nik, user.email)
    if failure:
        return failure
    tx.users.set_certificate(
        user.kode_user, expires_at=call.now + CERTIFICATE_VALIDITY_S, revoked=False
    )
    return {
        "kode_user": user.kode_user,
        "data": dict(identity.ALL_PASSED),
        "result": "00",
        "notif": notifs.REREGISTERED,
    }


def _conflict(
    notif: str, user: User, fields: dict[str, str | None], *, email_registered: bool
) -> dict[str, Any]:
    """``14``: the request's data compared with the account that holds the NIK or e-mail."""
    data = {
        "name": user.name.casefold() == (fields["nama"] or "").casefold(),
        "birthdate": user.birth_date == fields["tgl_lahir"],
        "selfie": True,
    }
    body: dict[str, Any] = {"result": "14", "notif": notif}
    if email_registered:
        body["email_registered"] = user.email
    body["data"] = data
    if not (data["name"] and data["birthdate"]):
        body["info"] = notifs.VERIFICATION_TEXT_FAILED_INFO
    return body


def _check_identity(call: Call, tx: Tx, nik: str, email: str) -> dict[str, Any] | None:
    """Run the identity check: None if it passed, else the answer (91 or 12)."""
    partner = call.partner.userid
    if call.sandbox.identity.down:
        return {"result": "91", "notif": notifs.SYSTEM_TIMEOUT}
    charged = tx.accounts.charge(
        partner,
        BalanceKind.IDENTITY_CHECK,
        count=1,
        reference=call.ref_trx or "registration",
        now=call.now,
    )
    if not charged:
        return identity.balance_empty_answer()
    check = tx.users.identity_failure(nik)
    if check is None:
        return None
    tx.users.record_failed_check(partner, nik, email)
    return identity.failure_answer(IdentityCheck(check))


def _new_kode_user(tx: Tx, now: float) -> str:
    """A 15-digit reference like Digisign's: ``yyMM`` and an 11-digit sequence."""
    return f"{wib(now):%y%m}{tx.next_number('kode_user'):011d}"
