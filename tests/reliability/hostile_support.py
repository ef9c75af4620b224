"""Shared by the redirect-storm, hostile-input and secrets scenarios (issue 7, 4-6).

`open_stack` runs what production runs, in-process: a Temporal dev server keeping its
SQLite database in a file, a client and a worker whose payloads go through
`workers.codec.EncryptionCodec`, and the gateway on a real uvicorn server (configured
like `workers.gateway.serve_gateway`: no access log) with the process's logging routed
through `workers.logging.configure_logging` into a buffer. The worker runs the
`ScriptedDigisign` fake; its humans are set to "ignore", so only the gateway's
redirects move a signer on. `deliver` first records at the fake Digisign what each
redirect reports (the signer activated, or signed), as the real Digisign knows it
before it redirects: the workflow confirms every redirect with Digisign.

Every stack it opens is remembered in `STACKS` (its log text and database file), so
the secrets scenario can inspect what the earlier scenarios left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from gateway.app import create_app
from tests.gateway.conftest import make_config
from tests.gateway.support import (
    AES_KEY,
    EVENT_TOKEN,
    activation_msg,
    emails,
    handle,
    loan_event,
    sign_msg,
    status,
)
from tests.support.binaries import venv_binary
from tests.support.servers import free_port
from tests.workflows.fakes import ScriptedDigisign
from workers.codec import EncryptionCodec, data_converter
from workers.logging import configure_logging
from workflows import names
from workflows.models import OutcomeStatus, SignerStage, SigningStatus
from workflows.signing import SigningWorkflow

CODEC_KEY = os.urandom(32)
"""This run's payload key; nothing outside the test process ever knows it."""


class _Records(logging.Handler):
    """Every log record's message as the code wrote it, before any redaction."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a bad format string is not our concern here
            text = str(record.msg)
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name}: {text}")


@dataclass
class Stack:
    """One running stack."""

    env: WorkflowEnvironment
    digisign: ScriptedDigisign
    base_url: str
    db_path: Path
    task_queue: str
    logs: io.StringIO = field(default_factory=io.StringIO)
    raw: _Records = field(default_factory=_Records)
    documents: list[str] = field(default_factory=list)
    """Every document id a scenario started on this stack."""
    secrets: set[str] = field(default_factory=set)
    """Every NIK, phone and e-mail a scenario sent through this stack."""

    @property
    def client(self) -> Client:
        return self.env.client

    def remember(self, event: dict[str, Any]) -> None:
        """Note the event's document and personal data (for the secrets scenario)."""
        self.documents.append(event["document_id"])
        for person in event["signers"]:
            self.secrets.update({person["nik"], person["phone"], person["email"]})

    def log_text(self) -> str:
        return self.logs.getvalue() + "\n".join(self.raw.lines)


STACKS: list[Stack] = []


@contextlib.contextmanager
def _serve(app: Any) -> Iterator[str]:
    """uvicorn as `serve_gateway` runs it (our logging, no access log), on a thread."""
    import threading
    import time

    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn:{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start on port {port}")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextlib.asynccontextmanager
async def open_stack(tmp: Path) -> AsyncIterator[Stack]:
    """Dev server (db file in `tmp`), encrypting client and worker, gateway, captured logs."""
    db_path = tmp / "temporal.db"
    codec = EncryptionCodec({"reliability": CODEC_KEY}, "reliability")
    task_queue = f"hostile-{uuid.uuid4()}"
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    async with await WorkflowEnvironment.start_local(
        data_converter=data_converter(codec),
        dev_server_existing_path=venv_binary("temporal"),
        search_attributes=names.SEARCH_ATTRIBUTES,
        dev_server_extra_args=["--db-filename", str(db_path)],
    ) as env:
        fake = ScriptedDigisign(client=env.client)
        async with Worker(
            env.client,
            task_queue=task_queue,
            workflows=[SigningWorkflow],
            activities=fake.activities(),
            max_concurrent_activities=200,
        ):
            app = create_app(
                make_config(task_queue=task_queue, temporal_timeout_seconds=10), env.client
            )
            logs = io.StringIO()
            # As the gateway process does: logging first, then uvicorn (no access log).
            configure_logging(fmt="json", level="info", stream=logs)
            raw = _Records()
            root.addHandler(raw)
            with _serve(app) as base_url:
                stack = Stack(
                    env=env,
                    digisign=fake,
                    base_url=base_url,
                    db_path=db_path,
                    task_queue=task_queue,
                    logs=logs,
                    raw=raw,
                )
                STACKS.append(stack)
                try:
                    yield stack
                finally:
                    root.handlers[:], _ = saved
                    root.setLevel(saved[1])


def authed(base_url: str, **kwargs: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        headers={"Authorization": f"Bearer {EVENT_TOKEN}"},
        timeout=60,
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=64),
        **kwargs,
    )


async def start_waiting(
    stack: Stack, http: httpx.AsyncClient, lifecycles: int, signers: int
) -> list[dict[str, Any]]:
    """Start `lifecycles` events whose signers do nothing until redirected; wait until
    every signer awaits activation."""
    events = [loan_event(signers) for _ in range(lifecycles)]
    for event in events:
        for email in emails(event):
            stack.digisign.humans[email] = "ignore"
        stack.remember(event)

    async def start(event: dict[str, Any]) -> None:
        response = await http.post("/v1/loan-events", json=event)
        assert response.status_code == 202, response.text

    await asyncio.gather(*(start(e) for e in events))

    async def ready(event: dict[str, Any]) -> None:
        deadline = asyncio.get_running_loop().time() + 60
        while True:
            current = await status(stack.client, event["document_id"])
            if all(s.stage is SignerStage.AWAITING_ACTIVATION for s in current.signers):
                return
            assert asyncio.get_running_loop().time() < deadline, current
            await asyncio.sleep(0.1)

    await asyncio.gather(*(ready(e) for e in events))
    return events


@dataclass(frozen=True)
class Redirect:
    kind: str  # "activation" or "sign"
    msg: str
    document_id: str
    email: str


def redirects_for(event: dict[str, Any]) -> list[Redirect]:
    """The activation and sign redirects of every signer, each delivered twice."""
    out: list[Redirect] = []
    people = event["signers"]
    for n, person in enumerate(people, start=1):
        email = person["email"]
        act = Redirect("activation", activation_msg(email, nik=person["nik"]), "", email)
        sgn = Redirect(
            "sign",
            sign_msg(event["document_id"], email, complete=n == len(people)),
            event["document_id"],
            email,
        )
        out += [act, act, sgn, sgn]
    return out


def storm_order(redirects: list[Redirect], rng: random.Random) -> list[Redirect]:
    """Mostly in order (activation before sign), with about a third of signers' four
    deliveries fully shuffled: sign before activation, duplicates far apart."""
    groups = [redirects[i : i + 4] for i in range(0, len(redirects), 4)]
    for group in groups:
        if rng.random() < 0.35:
            rng.shuffle(group)
    flat = [r for g in groups for r in g]
    # Interleave everyone: deliveries of different signers race each other.
    keyed = [(rng.random() * 3 + (i % 4), r) for i, r in enumerate(flat)]
    return [r for _, r in sorted(keyed, key=lambda x: x[0])]


async def deliver(
    base_url: str,
    redirects: list[Redirect],
    *,
    digisign: ScriptedDigisign,
    concurrency: int = 100,
) -> Counter[int]:
    """Send every redirect (anonymous, as the browser and Digisign do); status counts.

    Before each, the signer does at `digisign` what the redirect reports.
    """
    codes: Counter[int] = Counter()
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(
        base_url=base_url,
        timeout=60,
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
    ) as http:

        async def one(r: Redirect) -> None:
            async with gate:
                if r.kind == "activation":
                    digisign.activate(r.email)
                else:
                    digisign.sign(r.email, r.document_id)
                # The msg arrives exactly as Digisign writes it: already URL-encoded.
                response = await http.get(f"/digisign/{r.kind}?msg={r.msg}")
                codes[response.status_code] += 1

        await asyncio.gather(*(one(r) for r in redirects))
    return codes


@dataclass
class Tally:
    completed: int = 0
    wrong_outcome: int = 0
    stuck: int = 0
    double_charges: int = 0
    problems: list[str] = field(default_factory=list)


async def tally(
    stack: Stack,
    events: list[dict[str, Any]],
    *,
    limit: float = 60,
    forged: dict[str, int] | None = None,
) -> Tally:
    """Wait for every lifecycle to end; judge outcome, signals and Digisign charges.

    `forged`: document id → sign signals known to come from forged redirects (claims
    Digisign refused), on top of the real deliveries.
    """
    result = Tally()

    async def judge(event: dict[str, Any]) -> None:
        document_id = event["document_id"]
        h = handle(stack.client, document_id)
        try:
            async with asyncio.timeout(limit):
                outcome = await h.result()
        except TimeoutError:
            result.stuck += 1
            result.problems.append(f"{document_id}: not ended")
            return
        current: SigningStatus = await status(stack.client, document_id)
        signed_signals: Counter[str] = Counter()
        async for ev in h.fetch_history_events():
            attrs = ev.workflow_execution_signaled_event_attributes
            if ev.HasField("workflow_execution_signaled_event_attributes") and (
                attrs.signal_name == names.SIGNAL_SIGNED
            ):
                signed_signals["any"] += 1
        people = emails(event)
        ok = (
            outcome.status is OutcomeStatus.COMPLETED
            and all(s.signed and s.stage is SignerStage.SIGNED for s in current.signers)
            # never more signals than the two deliveries of each redirect; fewer is
            # fine: a signer whose redirect came early (before their activation) is
            # counted at their turn on Digisign's word, and a late delivery finds the
            # lifecycle ended (404)
            and signed_signals["any"] - (forged or {}).get(document_id, 0) <= 2 * len(people)
        )
        if ok:
            result.completed += 1
        else:
            result.wrong_outcome += 1
            result.problems.append(
                f"{document_id}: {outcome.status}, signed signals {signed_signals['any']}"
            )
        desc = await h.describe()
        assert desc.status is WorkflowExecutionStatus.COMPLETED

    await asyncio.gather(*(judge(e) for e in events))
    # Charges: one registration per signer, one send and one download per document.
    wanted = {d for e in events for d in [e["document_id"]]}
    people = {m for e in events for m in emails(e)}
    seen: Counter[str] = Counter()
    for call in stack.digisign.calls:
        if call.name == "register" and call.arg.registrant.email in people:
            seen[f"register {call.arg.registrant.email}"] += 1
        elif call.name in ("send_document", "download_signed") and (call.arg.document_id in wanted):
            seen[f"{call.name} {call.arg.document_id}"] += 1
    result.double_charges += sum(n - 1 for n in seen.values())
    return result


__all__ = ["AES_KEY", "EVENT_TOKEN"]
