"""REG-MITRA's field checks, in the server's order (`shared/digisign-behaviour.md`).

Each check returns the answer body that ends the registration, or None to go
on. The failed-attempts rule (``20``) sits between the birth date and the phone
checks and needs the store, so `register.py` runs it between `check_birth_date`
and `check_fields`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sandbox import identity, notifs

SELFIE_MAX_BYTES = 500 * 1024
JPEG_MAGIC = b"\xff\xd8\xff"
NAME_MAX = 128
EMAIL_MAX = 80
GENDER_MAX = 10
PHONE_MIN = 8

_BIRTH_DATE = re.compile(r"([0-9]{2})-([0-9]{2})-([0-9]{4})")
_NIK = re.compile(r"[0-9]{16}")
_NAME = re.compile(r"[a-zA-Z .,]+")
EMAIL_PATTERN = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
)


def _fail(code: str, notif: str, **extra: Any) -> dict[str, Any]:
    return {"result": code, "notif": notif, **extra}


def check_birth_date(value: str | None) -> dict[str, Any] | None:
    """``tgl_lahir`` must be a real ``dd-MM-yyyy`` date."""
    match = _BIRTH_DATE.fullmatch(value or "")
    if match is None:
        return _fail("28", notifs.BIRTH_DATE_FORMAT)
    day, month, year = (int(part) for part in match.groups())
    try:
        date(year, month, day)
    except ValueError:
        return _fail("28", notifs.BIRTH_DATE_FORMAT)
    return None


def check_phone(phone: str) -> dict[str, Any] | None:
    """``tlp``: at least 8 characters, digits after the first, a 62/08/+62 prefix.

    The prefix rule is the server's, character by character: the first is 0, 6 or
    +, the second 8, 2 or 6, and after a + the third must be 2. It lets through
    some numbers the document would not (021...), as the server does.
    """
    if len(phone) < PHONE_MIN:
        return _fail("28", notifs.PHONE_TOO_SHORT)
    rest = phone[1:]
    if not (rest.isascii() and rest.isdigit()):
        return _fail("28", notifs.PHONE_NOT_DIGITS)
    if phone[0] not in "06+" or phone[1] not in "826" or (phone[0] == "+" and phone[2] != "2"):
        return _fail("28", notifs.PHONE_PREFIX)
    return None


def valid_email(email: str) -> bool:
    """Whether ``email`` is an ordinary address of at most 80 characters."""
    return len(email) <= EMAIL_MAX and EMAIL_PATTERN.fullmatch(email) is not None


def check_fields(fields: dict[str, str | None]) -> dict[str, Any] | None:
    """Phone, NIK, name, e-mail and gender, in that order."""
    failure = check_phone(fields.get("tlp") or "")
    if failure:
        return failure
    if not _NIK.fullmatch(fields.get("idktp") or ""):
        return _fail("FE", notifs.NIK_FORMAT)
    name = fields.get("nama") or ""
    if len(name) > NAME_MAX:
        return _fail("28", notifs.NAME_TOO_LONG)
    if not _NAME.fullmatch(name) or not any(c.isalpha() for c in name):
        return _fail("28", notifs.NAME_FORMAT)
    email = fields.get("email") or ""
    if len(email) > EMAIL_MAX:
        return _fail("28", notifs.EMAIL_TOO_LONG)
    if not valid_email(email):
        return _fail("FE", notifs.EMAIL_FORMAT)
    if len(fields.get("jenis_kelamin") or "") > GENDER_MAX:
        return _fail("28", notifs.GENDER_TOO_LONG)
    return None


def check_photos(files: dict[str, bytes]) -> tuple[dict[str, Any] | None, bool]:
    """Both photos present; the selfie at most 500 KB and a JPEG.

    Returns:
        The answer that ends the registration (or None), and whether it counts as a
        failed identity check (a refused selfie does; missing photos do not).
    """
    ktp, selfie = files.get("fotoktp"), files.get("fotodiri")
    if not ktp or not selfie:
        return _fail("28", notifs.UPLOAD_INCOMPLETE, info=notifs.UPLOAD_INCOMPLETE_INFO), False
    if len(selfie) > SELFIE_MAX_BYTES:
        return identity.selfie_failure_answer(notifs.SELFIE_TOO_LARGE_INFO), True
    if not selfie.startswith(JPEG_MAGIC):
        return identity.selfie_failure_answer(notifs.SELFIE_NOT_JPEG_INFO), True
    return None, False
