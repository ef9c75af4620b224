"""The gateway's memory of signalled `msg`s: the second delivery asks Temporal nothing."""

from __future__ import annotations

import time

import pytest

from gateway.redirects import RecentRedirects


def test_the_same_msg_is_seen_whatever_its_line_breaks() -> None:
    recent = RecentRedirects()
    recent.add("AAAA\nBBBB")
    assert recent.seen("AAAA\nBBBB")
    assert recent.seen("AAAABBBB")  # the server-side delivery may wrap differently
    assert not recent.seen("AAAABBBC")


def test_another_msg_for_the_same_signer_is_not_hidden() -> None:
    # A forged msg signalled first must not swallow the real one that follows.
    recent = RecentRedirects()
    recent.add("forged-blocks")
    assert not recent.seen("real-blocks")


def test_msgs_are_forgotten_after_the_ttl(monkeypatch: pytest.MonkeyPatch) -> None:
    recent = RecentRedirects(ttl_seconds=10)
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now)
    recent.add("m")
    monkeypatch.setattr(time, "monotonic", lambda: now + 9)
    assert recent.seen("m")
    monkeypatch.setattr(time, "monotonic", lambda: now + 11)
    assert not recent.seen("m")


def test_memory_is_bounded_and_forgets_the_oldest_first() -> None:
    recent = RecentRedirects(size=3)
    for msg in ("a", "b", "c", "d"):
        recent.add(msg)
    assert len(recent) == 3
    assert not recent.seen("a")
    assert all(recent.seen(m) for m in ("b", "c", "d"))
