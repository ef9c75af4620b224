"""UPDATE-EP: change the e-mail and/or phone of a user who has not activated yet.

Order: all four fields present (else the failure answer); the old e-mail
registered with this partner (``05 "Email belum terdaftar"``); not yet active
(``14``); the old phone matches (``08``); the new e-mail and phone not taken by
someone else (``14``); the new values well formed (else the failure answer,
which Digisign writes with ``res`` instead of ``result``). Then ``00``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from digisign.endpoints import Endpoint
from sandbox import notifs
from sandbox.api.common import Call, handle
from sandbox.api.register_rules import check_phone, valid_email
from sandbox.store import phone_key

_FAILED: dict[str, Any] = {"res": "06", "notif": notifs.UPDATE_FAILED}


async def update_contact(request: Request) -> Response:
    """``POST /UPDATE-EP.html``."""
    return await handle(request, Endpoint.UPDATE_CONTACT, _update)


def _update(call: Call) -> dict[str, Any]:
    old_email, new_email = call.text("email_lama"), call.text("email_baru")
    old_phone, new_phone = call.text("nohp_lama"), call.text("nohp_baru")
    if not (old_email and new_email and old_phone and new_phone):
        return dict(_FAILED)
    with call.sandbox.store.transaction() as tx:
        tx.users.purge_lapsed_preregistrations(call.now)
        user = tx.users.by_email(old_email)
        if user is None or user.partner != call.partner.userid:
            return {"result": "05", "notif": notifs.EMAIL_NOT_REGISTERED}
        if user.active:
            return {"result": "14", "notif": notifs.USER_ALREADY_ACTIVE}
        if phone_key(old_phone) != phone_key(user.phone):
            return {"result": "08", "notif": notifs.OLD_PHONE_MISMATCH}
        email_owner = tx.users.by_email(new_email)
        if email_owner is not None and email_owner.kode_user != user.kode_user:
            return {"result": "14", "notif": notifs.NEW_EMAIL_TAKEN}
        phone_owner = tx.users.phone_owner(new_phone)
        if phone_owner is not None and phone_owner.kode_user != user.kode_user:
            return {"result": "14", "notif": notifs.NEW_PHONE_TAKEN}
        if not valid_email(new_email) or check_phone(new_phone) is not None:
            return dict(_FAILED)
        tx.users.update_contact(user.kode_user, email=new_email, phone=new_phone)
    return {"result": "00", "notif": notifs.CONTACT_UPDATED}
