"""The floor of a signing lifecycle: the same shape with no-op activities.

A workflow module of its own (workflows defined in ``__main__`` fail the sandbox's
validation). For each of ``signers`` signers it does what `SigningWorkflow` does in
Temporal terms, and nothing else:

    per signer, in parallel: register (no-op) ─► activation link (signals `step`)
                             while a timer-bounded wait for that signal runs
    send (no-op) ─► per signer, in order: sign link (signals `step`) + bounded wait
    ─► download (no-op)

so 2 signers give 8 activities, 4 signals and 4 timers; with `confirm` (the
default), one more no-op after each wait (12 activities), as `SigningWorkflow`, which
confirms each redirect with Digisign by asking for the link again; with `notify` (the
default), one more no-op after each link and one at the end (17 activities), as
`SigningWorkflow` tells the LOS of each link and of the outcome when the loan event
has a callback URL (the benchmark's LOS hands the links to the signer robot).
The "link" activity signals the workflow itself before returning, standing in for the
human behind the redirect; the wait starts before the activity is scheduled, so its timer
is always in history.

``python -m bench.skeleton --address 127.0.0.1:7233 --task-queue Q`` runs its worker
(a child process of `bench.lifecycles`, as the real worker is).
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta

from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

SIGNAL = "step"
STAGE = SearchAttributeKey.for_keyword("SigningStage")  # registered by workflows.names
WAIT_LIMIT = timedelta(days=1)
CALL = workflow.ActivityConfig(
    start_to_close_timeout=timedelta(seconds=30),
)


class SkeletonInput(BaseModel):
    """How many signers the skeleton lifecycle has."""

    signers: int = 2
    confirm: bool = True
    """One more no-op after each wait, as `SigningWorkflow` asks Digisign to confirm
    every redirect (a second link call, answered `14` or "already signed")."""
    notify: bool = True
    """One more no-op after each link and at the end: the LOS notifications."""


class LinkInput(BaseModel):
    """Which workflow the stand-in human signals, and for which wait."""

    workflow_id: str
    key: int = 0


class Step(BaseModel):
    """The stand-in for `activated` and `signed`."""

    signer: int


class SkeletonActivities:
    """No-op activities; `link` signals the workflow as the gateway would."""

    def __init__(self, client: Client) -> None:
        self._client = client

    @activity.defn(name="bench.noop")
    async def noop(self) -> None:
        """Nothing: the cost of an activity round trip alone."""

    @activity.defn(name="bench.link")
    async def link(self, data: LinkInput) -> None:
        """Signal `step` to the calling workflow (the human acting on the link)."""
        handle = self._client.get_workflow_handle(data.workflow_id)
        await handle.signal(SIGNAL, Step(signer=data.key))


@workflow.defn(name="BenchSkeleton")
class SkeletonWorkflow:
    """A signing lifecycle's Temporal shape with no work in it."""

    def __init__(self) -> None:
        self._received: set[int] = set()
        self._confirm = False
        self._notify = False

    @workflow.signal(name=SIGNAL)
    def step(self, step: Step) -> None:
        self._received.add(step.signer)

    @workflow.run
    async def run(self, data: SkeletonInput) -> int:
        n = data.signers
        self._confirm = data.confirm
        self._notify = data.notify
        await asyncio.gather(*(self._onboard(k) for k in range(n)))  # activations
        await workflow.execute_activity_method(SkeletonActivities.noop, **CALL)  # send
        for k in range(n, 2 * n):  # signatures, in order
            await self._link_and_wait(k)
        await workflow.execute_activity_method(SkeletonActivities.noop, **CALL)  # download
        if self._notify:
            await workflow.execute_activity_method(SkeletonActivities.noop, **CALL)  # outcome
        return len(self._received)

    async def _onboard(self, key: int) -> None:
        await workflow.execute_activity_method(SkeletonActivities.noop, **CALL)  # register
        await self._link_and_wait(key)

    async def _link_and_wait(self, key: int) -> None:
        # Started before the link so its timer is in history, as the real wait's is.
        waiting = asyncio.create_task(
            workflow.wait_condition(lambda: key in self._received, timeout=WAIT_LIMIT)
        )
        link = LinkInput(workflow_id=workflow.info().workflow_id, key=key)
        await workflow.execute_activity_method(SkeletonActivities.link, link, **CALL)
        if self._notify:
            await workflow.execute_activity_method(SkeletonActivities.noop, **CALL)  # the link
        await waiting
        if self._confirm:
            await workflow.execute_activity_method(SkeletonActivities.noop, **CALL)


@workflow.defn(name="BenchWaiting")
class WaitingSkeleton:
    """The floor of a lifecycle waiting for activations: timer-bounded waits for signals.

    Marks itself `SigningStage=awaiting_activation` once (the real lifecycle upserts
    its stage too), so a benchmark can count the waiting ones through visibility.
    """

    def __init__(self) -> None:
        self._steps = 0

    @workflow.signal(name=SIGNAL)
    def step(self, _step: Step) -> None:
        self._steps += 1

    @workflow.run
    async def run(self, data: SkeletonInput) -> int:
        workflow.upsert_search_attributes([STAGE.value_set("awaiting_activation")])
        for k in range(data.signers):
            await self._wait_beyond(k)
        return self._steps

    async def _wait_beyond(self, steps: int) -> None:
        await workflow.wait_condition(lambda: self._steps > steps, timeout=WAIT_LIMIT)


async def serve(address: str, task_queue: str) -> None:
    """Run the skeleton's worker until cancelled."""
    client = await Client.connect(address, data_converter=pydantic_data_converter)
    activities = SkeletonActivities(client)
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[SkeletonWorkflow, WaitingSkeleton],
        activities=[activities.noop, activities.link],
        max_concurrent_activities=100,
        max_concurrent_workflow_tasks=100,
    )
    await worker.run()


def main() -> None:
    cli = argparse.ArgumentParser(prog="python -m bench.skeleton")
    cli.add_argument("--address", default="127.0.0.1:7233")
    cli.add_argument("--task-queue", default="bench-skeleton")
    args = cli.parse_args()
    asyncio.run(serve(args.address, args.task_queue))


if __name__ == "__main__":
    main()
