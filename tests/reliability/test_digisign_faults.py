"""Scenario 3 of issue 7: Digisign misbehaves throughout.

The sandbox answers 20% of API calls with `91` (retry later; the wait is 1 s here),
5% with a 5xx or a dropped connection (before or after doing the work), adds some
latency, and loses 10% of the browser redirects of its pages (the server-side copy
still arrives). Every lifecycle must complete, none stay stuck, nothing be charged twice.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.reliability.harness import Fleet, charges, row, running_stack, runs, say
from tests.reliability.summary import record
from workers import dev

LIFECYCLES = 100
FAULTS = (
    "retry_later=0.2,server_error=0.03,drop_before=0.01,drop_after=0.01,"
    "latency_ms=20,jitter_ms=80,lost_browser_redirect=0.1",
)


async def test_every_lifecycle_completes_while_digisign_misbehaves(tmp_path: Path) -> None:
    began = time.monotonic()
    async with (
        running_stack(tmp_path, faults=FAULTS) as stack,
        httpx.AsyncClient(timeout=30) as http,
    ):
        fleet = Fleet(stack, http, runs(LIFECYCLES))
        await fleet.run(per_second=8, seconds=170)
        charged = await charges(http, fleet)
        redirects = (await http.get(f"{dev.SANDBOX}/_sandbox/redirects")).json()
    sandbox_log = (tmp_path / "logs" / "sandbox.log").read_text()
    result = record(row("digisign faults", fleet, charged))
    say(f"digisign faults: {time.monotonic() - began:.0f} s; {_kinds(redirects)}")
    assert "fault retry_later" in sandbox_log  # the profile really bit
    assert not charged.notes, charged.notes
    assert result.bad == 0, result
    assert result.completed == LIFECYCLES, result


def _kinds(redirects: object) -> str:
    return f"{len(redirects) if isinstance(redirects, list) else '?'} redirect deliveries"
