"""SendDocMitraAT's request parsing: signers, viewers, e-meterai boxes and their overlaps."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from digisign.envelope import as_text
from sandbox import notifs
from sandbox.store import NewSigner, Viewer

SIGNATURE_TYPE_PREFIXES = ("ttd", "prf", "app", "sgl", "mtr")
SIGNATURE_TYPE_MAX = 30


class Refused(Exception):
    """The request is refused with ``body``."""

    def __init__(self, code: str, notif: str, **extra: Any) -> None:
        super().__init__(code)
        self.body: dict[str, Any] = {"result": code, "notif": notif, **extra}


@dataclass(frozen=True)
class Box:
    """A rectangle on a page (PDF points, origin bottom-left)."""

    page: int
    llx: float
    lly: float
    urx: float
    ury: float

    @property
    def corners(self) -> tuple[float, float, float, float]:
        """(llx, lly, urx, ury)."""
        return (self.llx, self.lly, self.urx, self.ury)

    def overlaps(self, other: Box) -> bool:
        """Whether the boxes share an area of positive size (touching edges do not)."""
        return (
            self.page == other.page
            and min(self.urx, other.urx) > max(self.llx, other.llx)
            and min(self.ury, other.ury) > max(self.lly, other.lly)
        )


def _incomplete() -> Refused:
    return Refused("28", notifs.REQUEST_INCOMPLETE)


def parse_box(entry: dict[str, Any]) -> Box:
    """The box of a ``req-sign`` or ``meterai-positions`` entry (corners put in order).

    Raises:
        Refused: ``28`` for a missing or non-numeric page or coordinate.
    """
    try:
        page = int(as_text(entry.get("page")) or "")
        llx, lly, urx, ury = (
            float(as_text(entry.get(k)) or "") for k in ("llx", "lly", "urx", "ury")
        )
    except ValueError:
        raise _incomplete() from None
    if page < 1 or not all(math.isfinite(v) for v in (llx, lly, urx, ury)):
        raise _incomplete()
    return Box(page, min(llx, urx), min(lly, ury), max(llx, urx), max(lly, ury))


def parse_signers(entries: list[Any]) -> list[NewSigner]:
    """The ``req-sign`` entries.

    Raises:
        Refused: ``28`` for a malformed entry, ``FE`` for a bad signature type.
    """
    signers = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise _incomplete()
        name, email = as_text(entry.get("name")), as_text(entry.get("email"))
        if not name or not email:
            raise _incomplete()
        user_type = as_text(entry.get("user")) or "ttd"
        if len(user_type) > SIGNATURE_TYPE_MAX or not user_type.lower().startswith(
            SIGNATURE_TYPE_PREFIXES
        ):
            raise Refused("FE", notifs.SIGNATURE_TYPE_FORMAT)
        box = parse_box(entry)
        seq_text = as_text(entry.get("signing_seq"))
        try:
            signing_seq = int(seq_text) if seq_text not in (None, "") else None
        except ValueError:
            raise _incomplete() from None
        signers.append(
            NewSigner(
                email=email,
                name=name,
                user_type=user_type,
                page=box.page,
                box=box.corners,
                visible=(as_text(entry.get("visible")) or "1").strip() != "0",
                signing_seq=signing_seq,
            )
        )
    return signers


def parse_viewers(entries: Any) -> list[Viewer]:
    """The ``send-to`` entries (absent: none).

    Raises:
        Refused: ``28`` when it is not a list of {name, email}.
    """
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise _incomplete()
    viewers = []
    for entry in entries:
        email = as_text(entry.get("email")) if isinstance(entry, dict) else None
        if not email:
            raise _incomplete()
        viewers.append(Viewer(email=email, name=as_text(entry.get("name")) or email))
    return viewers


def parse_meterai(fields: dict[str, Any]) -> list[Box]:
    """The e-meterai boxes: ``meterai-positions`` (the example) or ``meterai_positions``.

    Raises:
        Refused: ``28`` when it is not a list of boxes.
    """
    entries = fields.get("meterai-positions", fields.get("meterai_positions"))
    if entries is None:
        return []
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise _incomplete()
    return [parse_box(entry) for entry in entries]


def check_overlaps(signatures: list[Box], stamps: list[Box]) -> None:
    """No two boxes may overlap.

    Raises:
        Refused: ``03`` with the signatures-only info, or the signature-and-e-meterai one
            when an e-meterai box is involved.
    """
    for j, second in enumerate(signatures):
        if any(first.overlaps(second) for first in signatures[:j]):
            raise Refused("03", notifs.SEND_FAILED, info=notifs.SIGNATURES_OVERLAP_INFO)
    everything = signatures + stamps
    for j in range(len(signatures), len(everything)):
        if any(first.overlaps(everything[j]) for first in everything[:j]):
            raise Refused("03", notifs.SEND_FAILED, info=notifs.SIGNATURE_METERAI_OVERLAP_INFO)
