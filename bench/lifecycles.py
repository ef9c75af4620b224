"""Lifecycle throughput: N real 2-signer lifecycles versus N skeleton lifecycles.

    .venv/bin/python -m bench.lifecycles [--count 50] [--concurrency 25]

Real: the embedded default of `workers.dev` — the Temporal dev server (SQLite file),
the Digisign sandbox, the worker and the gateway as separate processes — with loan
events posted to the gateway, their links received at the LOS callback URL
(`workers.demo_los`) and the signer robot acting on each through the sandbox's pages
(`workers.dev._drive`), as `./scripts/demo --loans N` does.

Floor: `bench.skeleton` (same number of activities, signals and timers, no-op
activities, its worker a separate process) on the same dev server, started and
awaited by this process.

Both are bounded by the same semaphore (about 5,000 unthrottled starts make the
dev server time out). Reported: lifecycles/s, the ratio real/skeleton (target
>= 0.8), and history events per lifecycle for both.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import httpx
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from activities.blobs import FilesystemBlobStore
from bench.common import bench_dir, dev_on_free_ports, machine, percentile, table
from bench.skeleton import SkeletonInput, SkeletonWorkflow
from workers import dev
from workers.demo_los import DemoLos
from workflows.names import workflow_id

SKELETON_QUEUE = "bench-skeleton"
T = TypeVar("T")


async def _timed(
    count: int, concurrency: int, one: Callable[[int], Awaitable[str]]
) -> tuple[float, list[float], list[str]]:
    """Run `one(i)` for i < count, at most `concurrency` at a time.

    Returns: the wall time, each lifecycle's duration, and the workflow ids.
    """
    gate = asyncio.Semaphore(concurrency)
    durations: list[float] = []

    async def bounded(i: int) -> str:
        async with gate:
            started = time.perf_counter()
            wid = await one(i)
            durations.append(time.perf_counter() - started)
            return wid

    started = time.perf_counter()
    ids = await asyncio.gather(*(bounded(i) for i in range(count)))
    return time.perf_counter() - started, durations, list(ids)


async def _history(client: Client, wids: list[str]) -> tuple[float, Counter[str]]:
    """Mean events per lifecycle, and the mean count of activities, timers, signals."""
    totals: list[int] = []
    kinds: Counter[str] = Counter()
    for wid in wids:
        history = await client.get_workflow_handle(wid).fetch_history()
        totals.append(len(history.events))
        for event in history.events:
            name = event.WhichOneof("attributes") or ""
            kinds[name] += 1
    n = len(wids)
    shape: Counter[str] = Counter()
    for key, label in (
        ("activity_task_scheduled_event_attributes", "activities"),
        ("timer_started_event_attributes", "timers"),
        ("workflow_execution_signaled_event_attributes", "signals"),
    ):
        shape[label] = round(kinds[key] / n)
    return statistics.mean(totals), shape


async def _real(
    http: httpx.AsyncClient, blobs: FilesystemBlobStore, los: DemoLos, stamp: str, i: int
) -> str:
    run = f"{stamp}{i:04d}"
    event = {**await dev.loan_event(blobs, run), "los_callback_url": los.callback_url}
    response = await http.post(
        f"{dev.GATEWAY}/v1/loan-events",
        json=event,
        headers={"Authorization": f"Bearer {dev.EVENT_TOKEN}"},
    )
    response.raise_for_status()
    inbox = los.inbox(event["document_id"])
    status = await asyncio.wait_for(dev._drive(http, event["document_id"], inbox), timeout=600)
    if status["outcome"]["status"] != "completed":
        raise RuntimeError(f"{event['document_id']} ended as {status['outcome']}")
    return workflow_id(event["document_id"])


async def run(count: int, concurrency: int) -> None:
    dev_on_free_ports()
    address = f"127.0.0.1:{dev.TEMPORAL_PORT}"
    data_dir = bench_dir("lifecycles")
    (data_dir / "logs").mkdir()
    env = dev.environment(data_dir)
    stamp = datetime.now(UTC).strftime("%y%m%d%H%M%S")
    drive_log = (data_dir / "logs").absolute()
    with dev.running(data_dir / "logs") as processes:
        await dev.start_processes(processes, data_dir, env)
        processes.start(
            "skeleton-worker",
            [sys.executable, "-m", "bench.skeleton", "--address", address,
             "--task-queue", SKELETON_QUEUE],
            env,
        )  # fmt: skip
        client = await Client.connect(address, data_converter=pydantic_data_converter)
        blobs = FilesystemBlobStore(data_dir / "blobs")
        limits = httpx.Limits(max_connections=2 * concurrency + 10)
        async with DemoLos() as los, httpx.AsyncClient(timeout=60, limits=limits) as http:
            # Warm up both workers (imports, sandbox, first workflow tasks) off the clock.
            await _quietly(drive_log, _real(http, blobs, los, stamp, 9999))
            await _skeleton(client, "bench-warmup")
            dev.say(f"measuring {count} real lifecycles, {concurrency} at a time")
            real_wall, real_each, real_ids = await _quietly(
                drive_log,
                _timed(count, concurrency, lambda i: _real(http, blobs, los, stamp, i)),
            )
            processes.check()
            dev.say(f"measuring {count} skeleton lifecycles, {concurrency} at a time")
            skel_wall, skel_each, skel_ids = await _timed(
                count, concurrency, lambda i: _skeleton(client, f"bench-skeleton-{stamp}-{i}")
            )
        real_events, real_shape = await _history(client, real_ids[:10])
        skel_events, skel_shape = await _history(client, skel_ids[:10])
    real_rate, skel_rate = count / real_wall, count / skel_wall
    print()
    print(machine())
    print(f"{count} lifecycles of 2 signers each, {concurrency} at a time, one dev server\n")
    print(
        table(
            "Lifecycle throughput",
            ["lifecycle", "lifecycles/s", "wall s", "p50 s", "p99 s", "events",
             "activities", "timers", "signals"],
            [
                ["signflow (gateway, sandbox, robot, LOS)", real_rate, real_wall,
                 percentile(real_each, 50), percentile(real_each, 99), real_events,
                 real_shape["activities"], real_shape["timers"], real_shape["signals"]],
                ["skeleton (no-op activities)", skel_rate, skel_wall,
                 percentile(skel_each, 50), percentile(skel_each, 99), skel_events,
                 skel_shape["activities"], skel_shape["timers"], skel_shape["signals"]],
            ],
        )
    )  # fmt: skip
    verdict = "meets" if real_rate / skel_rate >= 0.8 else "misses"
    print(f"\nratio signflow/skeleton: {real_rate / skel_rate:.2f} ({verdict} the 0.8 target)")
    print(f"(events, activities, timers, signals: mean of the first {min(count, 10)} histories)")
    print(f"logs: {data_dir / 'logs'}")


async def _skeleton(client: Client, wid: str) -> str:
    await client.execute_workflow(
        SkeletonWorkflow.run, SkeletonInput(signers=2), id=wid, task_queue=SKELETON_QUEUE
    )
    return wid


async def _quietly(log_dir: Path, work: Awaitable[T]) -> T:
    """Await `work` with `workers.dev`'s progress lines sent to drive.log, not the terminal."""
    with (
        (log_dir / "drive.log").open("a") as log,
        contextlib.redirect_stdout(log),
    ):
        return await work


def main() -> None:
    cli = argparse.ArgumentParser(
        prog="python -m bench.lifecycles", description=__doc__.split("\n")[0]
    )
    cli.add_argument("--count", type=int, default=50, help="lifecycles of each kind")
    cli.add_argument("--concurrency", type=int, default=25, help="lifecycles in flight at once")
    args = cli.parse_args()
    asyncio.run(run(args.count, args.concurrency))


if __name__ == "__main__":
    main()
