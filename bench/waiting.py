"""Lifecycles waiting for activation: memory, start rate and signal-to-reaction latency.

    .venv/bin/python -m bench.waiting [--count 1000] [--concurrency 50] [--sample 200]

(The issue asks for 10,000: ``--count 10000``; the default is smaller so a run
takes a couple of minutes on a shared 2-core machine.)

Processes: a Temporal dev server (`workers.dev`'s command: SQLite file, signflow's
search attributes, free ports), a signflow worker (`python -m bench.waiting
--worker`: the real `SigningWorkflow` with `ScriptedDigisign`, whose humans never
activate by themselves) and the skeleton worker (`python -m bench.skeleton`, whose
`BenchWaiting` workflow just waits for two signals on a timer).

For each kind, `count` 2-signer lifecycles are started (a semaphore bounds the
client), then counted through visibility until all wait (`SigningStage =
awaiting_activation`). Reported: starts/s, resident memory (VmRSS from /proc) of the
server and of each worker, and the latency from a signal (`activated` for signer 1)
to the workflow task that reacted to it, from the histories of `sample` lifecycles.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from bench.common import (
    PYTHON,
    bench_dir,
    children,
    dev_on_free_ports,
    machine,
    percentile,
    rss_mib,
    table,
    wait_ready,
)
from bench.skeleton import SIGNAL, SkeletonInput, Step, WaitingSkeleton
from tests.workflows.conftest import signing_request
from tests.workflows.fakes import ScriptedDigisign
from workers import dev
from workflows import names
from workflows.models import ActivatedSignal, SigningPolicy
from workflows.signing import SigningWorkflow
from workflows.starting import start_signing

REAL_QUEUE, SKELETON_QUEUE = "bench-waiting", "bench-skeleton"
EMAILS = ("signer1@example.com", "signer2@example.com")


async def serve_worker(address: str) -> None:
    """The signflow worker of this benchmark (`--worker`): humans wait to be told."""
    client = await Client.connect(address, data_converter=pydantic_data_converter)
    digisign = ScriptedDigisign(client=client, humans=dict.fromkeys(EMAILS, "wait"))
    worker = Worker(
        client,
        task_queue=REAL_QUEUE,
        workflows=[SigningWorkflow],
        activities=digisign.activities(),
        max_concurrent_activities=100,
        max_concurrent_workflow_tasks=100,
    )
    await worker.run()


async def _bounded(
    count: int, concurrency: int, start: Callable[[int], Awaitable[object]]
) -> float:
    """Call `start(i)` for i < count, `concurrency` at a time; the wall seconds."""
    gate = asyncio.Semaphore(concurrency)
    done = 0
    step = max(count // 10, 1)

    async def one(i: int) -> None:
        nonlocal done
        async with gate:
            await start(i)
        done += 1
        if done % step == 0 and count >= 1000:  # progress on long runs
            print(f"  {done}/{count} after {time.perf_counter() - began:.0f} s", flush=True)

    began = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(count)))
    return time.perf_counter() - began


async def _until_waiting(client: Client, queue: str, count: int, limit: float = 1800) -> float:
    """Seconds until visibility shows `count` lifecycles awaiting activation on `queue`."""
    query = f"TaskQueue = '{queue}' AND SigningStage = 'awaiting_activation'"
    began = time.perf_counter()
    while (await client.count_workflows(query)).count < count:
        if time.perf_counter() - began > limit:
            raise RuntimeError(f"not all {count} lifecycles on {queue} are waiting")
        await asyncio.sleep(1)
    return time.perf_counter() - began


async def _reaction_ms(client: Client, workflow_id: str) -> float:
    """Milliseconds from the first signal to the completion of the task that saw it."""
    for _ in range(100):
        history = await client.get_workflow_handle(workflow_id).fetch_history()
        signalled = None
        for event in history.events:
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
                signalled = signalled or event.event_time.ToDatetime()
            elif (
                signalled is not None
                and event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
            ):
                return (event.event_time.ToDatetime() - signalled) / timedelta(milliseconds=1)
        await asyncio.sleep(0.2)
    raise RuntimeError(f"{workflow_id} never reacted to its signal")


async def run(count: int, concurrency: int, sample: int) -> None:
    dev_on_free_ports()
    address = f"127.0.0.1:{dev.TEMPORAL_PORT}"
    data_dir = bench_dir("waiting")
    stamp = data_dir.name.split("-", 1)[1].replace("-", "")
    rows: list[list[object]] = []
    with children(data_dir / "logs") as running:
        server = running.start("temporal", dev.temporal_command(data_dir))
        await wait_ready(f"http://127.0.0.1:{dev.UI_PORT}/", running)
        real = running.start("worker", [PYTHON, "-m", "bench.waiting", "--worker",
                                        "--address", address])  # fmt: skip
        skel = running.start("skeleton-worker", [PYTHON, "-m", "bench.skeleton",
                                                 "--address", address])  # fmt: skip
        client = await Client.connect(address, data_converter=pydantic_data_converter)
        await asyncio.sleep(3)  # both workers polling
        base = {pid: rss_mib(pid) for pid in (server, real, skel)}
        print(f"baseline RSS MiB: server {base[server]:.0f}, signflow worker {base[real]:.0f}, "
              f"skeleton worker {base[skel]:.0f}")  # fmt: skip
        policy = SigningPolicy(activation_timeout=timedelta(days=7))

        async def start_real(i: int) -> None:
            await start_signing(
                client,
                signing_request(2, document_id=f"W{stamp}{i:06d}"[-20:], policy=policy),
                task_queue=REAL_QUEUE,
            )

        async def start_skeleton(i: int) -> None:
            await client.start_workflow(
                WaitingSkeleton.run, SkeletonInput(signers=2),
                id=f"bench-waiting-{stamp}-{i}", task_queue=SKELETON_QUEUE,
            )  # fmt: skip

        for label, queue, start, pid, ids, signal in (
            ("signflow SigningWorkflow", REAL_QUEUE, start_real, real,
             [names.workflow_id(f"W{stamp}{i:06d}"[-20:]) for i in range(sample)],
             (names.SIGNAL_ACTIVATED, ActivatedSignal(email=EMAILS[0]))),
            ("skeleton (waits on 2 signals)", SKELETON_QUEUE, start_skeleton, skel,
             [f"bench-waiting-{stamp}-{i}" for i in range(sample)], (SIGNAL, Step(signer=0))),
        ):  # fmt: skip
            print(f"{label}: starting {count}")
            wall = await _bounded(count, concurrency, start)
            settle = await _until_waiting(client, queue, count)
            server_rss, worker_rss = rss_mib(server), rss_mib(pid)
            name, payload = signal
            handles = [client.get_workflow_handle(wid) for wid in ids]

            async def send(
                i: int, handles: list[Any] = handles, name: str = name, payload: Any = payload
            ) -> None:
                await handles[i].signal(name, payload)

            await _bounded(len(handles), concurrency, send)
            reactions = [await _reaction_ms(client, wid) for wid in ids]
            rows.append([
                label, count / wall, settle, server_rss or 0.0, worker_rss or 0.0,
                percentile(reactions, 50), percentile(reactions, 99),
            ])  # fmt: skip
    print()
    print(machine())
    print(f"{count} lifecycles of 2 signers per kind, {concurrency} concurrent starts, "
          f"dev server with SQLite; reaction latency from {sample} lifecycles\n")  # fmt: skip
    print(
        table(
            "Lifecycles waiting for activation",
            ["kind", "starts/s", "settle s", "server MiB", "worker MiB",
             "reaction p50 ms", "reaction p99 ms"],
            rows,
        )
    )  # fmt: skip
    print(
        f"\nbaseline RSS MiB: server {base[server]:.0f}, signflow worker {base[real]:.0f}, "
        f"skeleton worker {base[skel]:.0f}; server MiB is cumulative (skeleton measured second)"
    )
    print(f"ratio of start rates signflow/skeleton: {rows[0][1] / rows[1][1]:.2f}")  # type: ignore[operator]


def main() -> None:
    cli = argparse.ArgumentParser(
        prog="python -m bench.waiting", description=__doc__.split("\n")[0]
    )
    cli.add_argument("--count", type=int, default=1000, help="lifecycles of each kind")
    cli.add_argument("--concurrency", type=int, default=50, help="concurrent starts and signals")
    cli.add_argument("--sample", type=int, default=200, help="lifecycles signalled for latency")
    cli.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    cli.add_argument("--address", default="127.0.0.1:7233", help=argparse.SUPPRESS)
    args = cli.parse_args()
    if args.worker:
        asyncio.run(serve_worker(args.address))
        return
    asyncio.run(run(args.count, args.concurrency, min(args.sample, args.count)))


if __name__ == "__main__":
    main()
