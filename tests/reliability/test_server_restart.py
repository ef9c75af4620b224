"""Scenario 2 of issue 7: the Temporal dev server stops (SIGTERM) and starts again mid-run.

Same database file, same ports. The worker and the gateway are not restarted: they must
reconnect by themselves. Every lifecycle must complete and nothing be charged twice.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from tests.reliability.harness import Fleet, charges, row, running_stack, runs, say
from tests.reliability.summary import record

LIFECYCLES = 100
FAULTS = ("latency_ms=100,jitter_ms=200",)


def _mid_run(fleet: Fleet) -> bool:
    stages = fleet.in_flight()
    return sum(stages.values()) >= 50 and stages["awaiting_signature"] > 0


async def test_every_lifecycle_survives_a_server_restart(tmp_path: Path) -> None:
    began = time.monotonic()
    async with (
        running_stack(tmp_path, faults=FAULTS) as stack,
        httpx.AsyncClient(timeout=30) as http,
    ):
        fleet = Fleet(stack, http, runs(LIFECYCLES))
        driver = asyncio.create_task(fleet.run(per_second=8, seconds=170))
        mid_run = await fleet.wait_for(_mid_run, seconds=60, what="before the restart")
        snapshot = fleet.in_flight()
        down = time.monotonic()
        await stack.stop_temporal()
        await stack.start_temporal()
        say(f"the Temporal dev server was down (SIGTERM to ready) {time.monotonic() - down:.1f} s")
        await driver
        charged = await charges(http, fleet)
        stack.processes.check()  # the worker and the gateway are the original processes
    result = record(row("server restart (SIGTERM)", fleet, charged))
    say(f"server restart: {time.monotonic() - began:.0f} s")
    assert mid_run, f"never 50 in flight with some waiting for signatures: {snapshot}"
    assert not charged.notes, charged.notes
    assert result.bad == 0, result
    assert result.completed == LIFECYCLES, result
