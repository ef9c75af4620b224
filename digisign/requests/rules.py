"""Cross-field rules of a document send, shared by every model that describes one.

`SendDocumentRequest` (the wire request) and the gateway's loan event check the same
things under their own field names: signing_seq on every signer in sequence mode, no
two boxes overlapping on a page, a document type with e-meterai. Each function raises
a `PydanticCustomError` whose message names the offending items, never their values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic_core import PydanticCustomError

if TYPE_CHECKING:
    from digisign.fields import DocumentType
    from digisign.requests.send_document import Box

Labelled = tuple[str, "Box"]
"""A box with the name of the item it belongs to, e.g. `("req_sign[1]", box)`."""


def require_signing_seq(seqs: Sequence[int | None], field: str) -> None:
    """In sequence mode every signer needs a `signing_seq`."""
    for index, seq in enumerate(seqs):
        if seq is None:
            raise PydanticCustomError(
                "signing_seq_missing",
                f"sequence_option requires signing_seq on every signer; {field}[{index}] has none",
            )


def require_no_overlap(boxes: Sequence[Labelled], start: int = 0) -> None:
    """No two boxes overlap on a page; only pairs whose second box is at index ≥ `start`.

    `start` lets a later field (e-meterai) be checked against an earlier one
    (signatures) without reporting the earlier field's own overlaps twice.
    """
    for j in range(max(start, 1), len(boxes)):
        for i in range(j):
            (first, a), (second, b) = boxes[i], boxes[j]
            if a.overlaps(b):
                raise PydanticCustomError(
                    "box_overlap",
                    f"{first} and {second} overlap on page {a.page}: signature and e-meterai "
                    "boxes must not overlap",
                )


def require_stamps_fit(signatures: Sequence[Labelled], stamps: Sequence[Box]) -> None:
    """E-meterai boxes overlap neither each other nor any signature box."""
    labelled = [(f"meterai_positions[{i}]", stamp) for i, stamp in enumerate(stamps)]
    require_no_overlap([*signatures, *labelled], start=len(signatures))


def require_document_type(document_type: DocumentType | None, stamps: Sequence[Box]) -> None:
    """E-meterai needs the document type that prices it."""
    if document_type is None and stamps:
        raise PydanticCustomError(
            "document_type_missing", "document_type is required when meterai_positions are given"
        )
