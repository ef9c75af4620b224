"""Scenario 1 of issue 7: the worker is killed (`kill -9`) while lifecycles are in flight.

At least 100 lifecycles are mid-flight — some registering, some sending, some waiting
for signatures, as their status shows — when the worker dies without any chance to
clean up; a new worker starts. Every lifecycle must still complete, and the sandbox's
ledger must show one identity check per new signer and one charge per document.
Activities the dead worker was running are retried only after their start-to-close
timeout (no heartbeats): up to 120 s for registration and sending.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from tests.reliability.harness import Fleet, charges, row, running_stack, runs, say
from tests.reliability.summary import record

LIFECYCLES = 140
# Slow Digisign down a little, so that registering and sending last long enough to be
# seen (and interrupted).
FAULTS = (
    "latency_ms=100,jitter_ms=200",
    "register:latency_ms=1500,jitter_ms=1000",
    "send_document:latency_ms=4000,jitter_ms=2000",
)


def _mixed(fleet: Fleet) -> bool:
    stages = fleet.in_flight()
    waiting = stages["awaiting_signature"] + stages["awaiting_activation"]
    return (
        sum(stages.values()) >= 100
        and stages["registering"] > 0
        and stages["sending"] > 0
        and waiting > 0
    )


async def test_every_lifecycle_survives_a_killed_worker(tmp_path: Path) -> None:
    began = time.monotonic()
    async with (
        running_stack(tmp_path, faults=FAULTS) as stack,
        httpx.AsyncClient(timeout=30) as http,
    ):
        fleet = Fleet(stack, http, runs(LIFECYCLES))
        driver = asyncio.create_task(fleet.run(per_second=8, seconds=240))
        mixed = await fleet.wait_for(_mixed, seconds=60, what="before the kill")
        snapshot = fleet.in_flight()
        stack.kill_worker()
        await asyncio.sleep(3)
        stack.start_worker()
        await driver
        charged = await charges(http, fleet)
    result = record(row("worker crash (kill -9)", fleet, charged))
    say(f"worker crash: {time.monotonic() - began:.0f} s")
    assert mixed, f"never 100 in flight with registering, sending and waiting: {snapshot}"
    assert not charged.notes, charged.notes
    assert result.bad == 0, result
    assert result.completed == LIFECYCLES, result
