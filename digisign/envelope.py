"""Reading Digisign's answers defensively.

Digisign's bodies are JSON, mostly. What really arrives (the 3.0.4 document's own
examples and Digisign's published server code show all of these):

- `{"JSONFile": {...}}`, or the inner object without the wrapper (the `91`
  example), or the wrapper holding the inner object as a JSON *string*;
- a stray trailing `}` or `"}` after a complete object;
- the whole body escaped (`{\\"JSONFile\\":{\\"result\\":\\"00\\"}}`), or a JSON
  string whose content is the object;
- backslashes that are not JSON escapes (`"NIK\\Nama\\tanggal lahir"`), raw line
  breaks inside strings;
- `res` instead of `result` (UPDATE-EP errors), numbers instead of strings;
- empty bodies, HTML error pages from a proxy, and plain text (`$trxjson`).

`read_envelope` turns any of these into an `Envelope` or raises
`UnexpectedResponse`; it never raises anything else, whatever the bytes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from digisign.endpoints import Endpoint
from digisign.errors import UnexpectedResponse

MAX_BODY_CHARS = 64 * 1024 * 1024
"""Bodies above this are refused unread (DWMITRA64 carries whole PDFs; 64 MiB is ample)."""

# A backslash pair is either a valid JSON escape (kept) or a lone backslash (doubled).
_ESCAPE = re.compile(r'\\(["\\/bfnrtu]?)')
# A quote stranded between closing brackets: `{"a":1 }" }` (register example 31).
_STRAY_QUOTE = re.compile(r'(?<=[}\]])\s*"(?=\s*[}\]])')


@dataclass(frozen=True)
class Envelope:
    """One Digisign answer, unwrapped.

    Attributes:
        result: the result code, upper-cased (`"00"`, `"91"`, `"FE"`, ...).
        notif: the notification text ("" when absent).
        info: the additional information, if any.
        ref_trx: the reference (`refTrx`), if any.
        fields: the whole inner object, for endpoint-specific fields.
    """

    result: str
    notif: str = ""
    info: str | None = None
    ref_trx: str | None = None
    fields: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        """Whether Digisign reported success (`00`)."""
        return self.result == "00"

    def text(self, key: str) -> str | None:
        """A field as text, or None when absent, null or not a scalar."""
        return as_text(self.fields.get(key))


def read_envelope(endpoint: Endpoint, body: bytes | str) -> Envelope:
    """Parse a Digisign answer body into an `Envelope`.

    Args:
        endpoint: the endpoint that answered, for the error message.
        body: the raw body.

    Returns:
        The unwrapped answer with its result code.

    Raises:
        UnexpectedResponse: the body is empty, not JSON even after repair, not an
            object, or has no result code.
    """
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    if len(text) > MAX_BODY_CHARS:
        raise UnexpectedResponse(endpoint, "body too large")
    text = text.strip().lstrip("\ufeff")
    if not text:
        raise UnexpectedResponse(endpoint, "empty body")
    if text.startswith("<"):
        raise UnexpectedResponse(endpoint, "HTML page instead of JSON")
    obj = _load_object(text)
    if obj is None:
        raise UnexpectedResponse(endpoint, "body is not a JSON object")
    inner = _unwrap(obj)
    result = as_text(inner.get("result", inner.get("res")))
    if not result:
        raise UnexpectedResponse(endpoint, "answer has no result code")
    return Envelope(
        result=result.strip().upper(),
        notif=as_text(inner.get("notif")) or "",
        info=as_text(inner.get("info")),
        ref_trx=as_text(inner.get("refTrx", inner.get("reftrx"))),
        fields=inner,
    )


def _load_object(text: str) -> dict[str, Any] | None:
    """Find the JSON object in `text`, repairing what Digisign is known to break."""
    candidates = [text]
    if '\\"' in text:
        candidates.append(text.replace('\\"', '"'))
    candidates += [_repair(c) for c in candidates]
    for candidate in candidates:
        value = _decode_prefix(candidate)
        # A body that is a JSON string holding the object: decode once more.
        if isinstance(value, str):
            value = _decode_prefix(value.strip())
        if isinstance(value, dict):
            return value
    return None


def _repair(text: str) -> str:
    """Escape stray backslashes (`NIK\\Nama`) and drop stranded quotes."""
    escaped = _ESCAPE.sub(lambda m: m.group(0) if m.group(1) else "\\\\", text)
    return _STRAY_QUOTE.sub("", escaped)


def _decode_prefix(text: str) -> Any:
    """Decode the first JSON value in `text`, ignoring trailing debris like `}` or `"}`.

    `strict=False` admits raw line breaks inside strings, which Digisign's links carry.
    """
    try:
        value, _ = json.JSONDecoder(strict=False).raw_decode(text)
    except (ValueError, RecursionError):
        return None
    return value


def _unwrap(obj: dict[str, Any]) -> dict[str, Any]:
    """Return the object inside `JSONFile` (an object or a JSON string), else `obj` itself."""
    inner = obj.get("JSONFile", obj.get("jsonfile"))
    if isinstance(inner, str):
        inner = _decode_prefix(inner.strip())
    if isinstance(inner, dict):
        return inner
    return obj


def as_text(value: Any) -> str | None:
    """A JSON value as text, or None for absent, null, objects and arrays."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
