"""The simulated civil-registry (Dukcapil) and face checks behind registration.

Deterministic: a NIK passes every check unless a failure is configured for it
(in the TOML ``[identity]`` table or with ``PUT /_sandbox/identity/{nik}``), in
which case registration answers the exact ``12`` body Digisign documents for
that check. The service can also be "down" (``PUT /_sandbox/identity``), which
Digisign reports as ``91``.
"""

from __future__ import annotations

import threading
from typing import Any

from sandbox import notifs
from sandbox.config import IdentityCheck

ALL_PASSED: dict[str, bool] = {"nik": True, "name": True, "birthdate": True}
"""The text-verification flags of a check that passed."""


def _text_failure(nik: bool, name: bool, birthdate: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "data": {"nik": nik, "name": name, "birthdate": birthdate},
        "result": "12",
        "notif": notifs.VERIFICATION_TEXT_MISMATCH,
    }
    if nik:
        # Rows 11-13 of the document's table; the NIK-not-found row (10) has no info.
        body["info"] = notifs.VERIFICATION_TEXT_FAILED_INFO
    return body


def _face_failure(info: str) -> dict[str, Any]:
    return {
        "data": dict(ALL_PASSED),
        "result": "12",
        "notif": notifs.VERIFICATION_FAILED,
        "info": info,
    }


_FAILURES: dict[IdentityCheck, dict[str, Any]] = {
    IdentityCheck.NIK_NOT_FOUND: _text_failure(nik=False, name=False, birthdate=False),
    IdentityCheck.NAME_BIRTHDATE: _text_failure(nik=True, name=False, birthdate=False),
    IdentityCheck.BIRTHDATE: _text_failure(nik=True, name=True, birthdate=False),
    IdentityCheck.NAME: _text_failure(nik=True, name=False, birthdate=True),
    IdentityCheck.SELFIE_NO_FACE: _face_failure(notifs.NO_FACE_ON_SELFIE_INFO),
    IdentityCheck.KTP_NO_FACE: _face_failure(notifs.NO_FACE_ON_KTP_INFO),
    IdentityCheck.LIGHT: _face_failure(notifs.LIGHT_INFO),
    IdentityCheck.FACE: _face_failure(notifs.FACE_INFO),
}


def failure_answer(check: IdentityCheck) -> dict[str, Any]:
    """The ``12`` answer (inside ``JSONFile``) Digisign gives when ``check`` fails."""
    body = _FAILURES[check]
    return {**body, "data": dict(body["data"])}


def selfie_failure_answer(info: str) -> dict[str, Any]:
    """The ``12`` answer for a selfie refused before checking (too large, not JPEG)."""
    return _face_failure(info)


def balance_empty_answer() -> dict[str, Any]:
    """The ``12`` answer when the partner's identity-check balance is used up."""
    return {
        "data": notifs.IDENTITY_BALANCE_EMPTY_DATA,
        "result": "12",
        "notif": notifs.VERIFICATION_FAILED,
        "info": notifs.REGISTRATION_FAILED_INFO,
    }


class IdentityService:
    """Whether the identity service is reachable; per-NIK failures live in the store."""

    def __init__(self) -> None:
        self._down = False
        self._lock = threading.Lock()

    @property
    def down(self) -> bool:
        """Whether every check answers ``91`` (out of quota or silent)."""
        with self._lock:
            return self._down

    def set_down(self, down: bool) -> None:
        """Take the service down or bring it back."""
        with self._lock:
            self._down = down
