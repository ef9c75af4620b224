"""Logging for every signflow process: structlog, JSON (console on a terminal), redacted.

Everything goes through one pipeline, including the standard library loggers of
Temporal's SDK, uvicorn, httpx, `digisign` and the sandbox. The `redact` processor
is the last line of defence for personal data: keys that name PII, tokens, keys or
file bytes are masked, and NIKs, phone numbers and e-mail addresses are masked
wherever they appear in text. Code should still never log them.

Temporal's loggers attach `temporal_workflow` / `temporal_activity` context; it is
flattened into `workflow_id`, `run_id`, `activity` and `attempt`. Workflow code logs
through `workflow.logger`, which is silent during replay.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

REDACTED = "[redacted]"

_SENSITIVE_KEYS = frozenset(
    {
        "nik", "idktp", "phone", "tlp", "nohp_lama", "nohp_baru", "email", "email_user",
        "email_lama", "email_baru", "email_registered", "name", "nama", "birth_date",
        "tgl_lahir", "birth_place", "tmp_lahir", "token", "authorization", "api_key", "key",
        "aes_key", "secret", "password", "msg", "plaintext", "link", "fotoktp", "fotodiri",
        "ttd", "pdf", "content", "file", "jsonfield",
    }
)  # fmt: skip

_PATTERNS = (
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    (re.compile(r"(?<!\d)\d{16}(?!\d)"), "[nik]"),
    (re.compile(r"(?<![\w])(?:\+62|62|08)\d{6,13}(?!\d)"), "[phone]"),
    (re.compile(r"(?i)bearer\s+[\w.~+/-]+=*"), "Bearer [redacted]"),
)


def scrub(text: str) -> str:
    """Mask e-mail addresses, NIKs, phone numbers and bearer tokens in `text`."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _clean(key: str, value: Any) -> Any:
    if key.lower() in _SENSITIVE_KEYS:
        return REDACTED
    if isinstance(value, bytes | bytearray):
        return f"[{len(value)} bytes]"
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _clean(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(key, v) for v in value]
    return value


def redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: mask personal data, secrets and file bytes."""
    for key in list(event):
        event[key] = _clean(key, event[key])
    return event


def temporal_context(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: flatten the SDK's workflow/activity context into top-level keys."""
    record = event.get("_record")
    for attr in ("temporal_workflow", "temporal_activity"):
        info = event.pop(attr, None) or getattr(record, attr, None)
        if isinstance(info, dict):
            event.setdefault("workflow_id", info.get("workflow_id"))
            event.setdefault("run_id", info.get("run_id") or info.get("workflow_run_id"))
            if "activity_type" in info:
                event.setdefault("activity", info.get("activity_type"))
                event.setdefault("attempt", info.get("attempt"))
    return event


def configure_logging(fmt: str = "auto", level: str = "info", stream: Any = None) -> None:
    """Route structlog and the standard library through one redacting pipeline.

    Args:
        fmt: "json", "console", or "auto" (console on a terminal, JSON otherwise).
        level: the minimum level.
        stream: where to write (default stderr).
    """
    stream = stream or sys.stderr
    console = fmt == "console" or (fmt == "auto" and stream.isatty())
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=False)
        if console
        else structlog.processors.JSONRenderer()
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        temporal_context,
        structlog.processors.format_exc_info,
        redact,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.ExtraAdder(), *shared],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every request URL at INFO; URLs can carry redirect `msg` values.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
