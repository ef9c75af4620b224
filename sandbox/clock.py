"""The sandbox clock: real time plus an offset that tests move forward.

Every expiry in the sandbox (link TTLs, activation windows, certificates) is
measured on this clock, so a test expires a link with ``POST
/_sandbox/clock/advance`` instead of sleeping. Digisign writes its timestamps in
Western Indonesian Time (WIB, UTC+7, no daylight saving); the formatting helpers
here do the same.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

WIB = timezone(timedelta(hours=7), "WIB")
"""Western Indonesian Time."""


class Clock:
    """Wall-clock time shifted by an adjustable, never negative, offset.

    Args:
        source: the underlying time in Unix seconds (``time.time`` by default).
    """

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._source = source
        self._offset = 0.0
        self._lock = threading.Lock()

    def timestamp(self) -> float:
        """Now, in Unix seconds."""
        with self._lock:
            return self._source() + self._offset

    def now(self) -> datetime:
        """Now, as an aware UTC datetime."""
        return datetime.fromtimestamp(self.timestamp(), UTC)

    @property
    def offset(self) -> float:
        """How many seconds the clock is ahead of real time."""
        with self._lock:
            return self._offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward.

        Raises:
            ValueError: ``seconds`` is negative (time never goes back: expired stays expired).
        """
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds


def wib(timestamp: float) -> datetime:
    """A Unix timestamp as an aware datetime in WIB."""
    return datetime.fromtimestamp(timestamp, WIB)


def format_wib(timestamp: float) -> str:
    """Digisign's ``expired_aktifasi`` format: ``dd-MM-yyyy HH:mm:ss WIB``."""
    return wib(timestamp).strftime("%d-%m-%Y %H:%M:%S WIB")


def format_stamp_time(timestamp: float) -> str:
    """The time drawn in a signature stamp: ``yyyy-MM-dd HH:mm WIB``."""
    return wib(timestamp).strftime("%Y-%m-%d %H:%M WIB")


def ref_trx(prefix: str, timestamp: float) -> str:
    """A transaction reference: ``prefix`` + ``yyyyMMddHHmmss`` + milliseconds in six digits.

    Digisign's references look like ``REGD20211028105609000650``: Java's
    ``yyyyMMddHHmmssSSSSSS``, where ``SSSSSS`` is milliseconds zero-padded to six.
    """
    moment = wib(timestamp)
    return f"{prefix}{moment:%Y%m%d%H%M%S}{moment.microsecond // 1000:06d}"


def iso(timestamp: float | None) -> str | None:
    """A Unix timestamp as ISO 8601 in UTC, for the admin API; None stays None."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat()
