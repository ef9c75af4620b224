"""Shared machinery of the reliability scenarios: real processes, many lifecycles, the ledger.

A scenario starts the embedded default (`workers.dev` building blocks: the dev server on
a SQLite file, the sandbox, the worker, the gateway) in a temporary directory, posts
many loan events, plays every borrower with the signer robot at once, breaks something
on purpose while they are in flight, and then compares how each lifecycle ended with
what the sandbox charged.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from activities.blobs import FilesystemBlobStore
from sandbox.robot import SignerRobot
from tests.reliability.summary import Row
from workers import dev

HEADERS = {"Authorization": f"Bearer {dev.EVENT_TOKEN}"}
POLL_SECONDS = 1.5
STALE_SECONDS = 30
"""A borrower whose used link shows no progress this long asks for a fresh one."""
"""How often each driver asks its lifecycle's status (a query: it goes through a worker)."""
CONCURRENCY = 16
"""Client calls in flight at once (the dev server's notes: bound client concurrency)."""


def say(message: str) -> None:
    print(f"[reliability {time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class Stack:
    """The four running processes of one scenario, and ways to break them."""

    data_dir: Path
    env: dict[str, str]
    processes: dev.Processes
    blobs: FilesystemBlobStore

    def _index(self, name: str) -> int:
        for i, (child_name, _, _) in enumerate(self.processes.children):
            if child_name == name:
                return i
        raise KeyError(name)

    def child(self, name: str) -> subprocess.Popen[bytes]:
        return self.processes.children[self._index(name)][1]

    def _replace(self, name: str, command: list[str]) -> None:
        """Start `name` again, in the same place of the stop order (the log is appended)."""
        index = self._index(name)
        _, old, log = self.processes.children[index]
        assert old.poll() is not None, f"{name} still runs"
        log.close()
        self.processes.start(name, command, self.env)
        self.processes.children[index] = self.processes.children.pop()

    def kill_worker(self) -> None:
        """`kill -9` the worker: no graceful shutdown, in-flight activities are lost."""
        worker = self.child("worker")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        say(f"killed the worker (pid {worker.pid}) with SIGKILL")

    def start_worker(self) -> None:
        self._replace("worker", [sys.executable, "-m", "workers", "worker"])

    async def stop_temporal(self) -> None:
        """SIGTERM the dev server and wait until it exited."""
        server = self.child("temporal")
        server.send_signal(signal.SIGTERM)
        await asyncio.to_thread(server.wait, 60)
        say(f"the Temporal dev server stopped (status {server.returncode})")

    async def start_temporal(self) -> None:
        """Start the dev server again on the same database file and ports."""
        self._replace("temporal", dev.temporal_command(self.data_dir))
        await dev.wait_ready(
            f"http://127.0.0.1:{dev.UI_PORT}/", self.processes, "the Temporal dev server"
        )


@contextlib.asynccontextmanager
async def running_stack(data_dir: Path, *, faults: Sequence[str] = ()) -> AsyncIterator[Stack]:
    """Start everything in `data_dir` (retry-later wait: 1 s); stop it all on exit."""
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = dev.environment(data_dir)
    env["SIGNFLOW_RETRY_LATER_DELAY_SECONDS"] = "1"
    with dev.running(logs) as processes:
        await dev.start_processes(processes, data_dir, env, faults=faults)
        yield Stack(data_dir, env, processes, FilesystemBlobStore(data_dir / "blobs"))


@dataclass
class Fleet:
    """Many lifecycles, driven at once; what each was last seen doing."""

    stack: Stack
    http: httpx.AsyncClient
    runs: list[str]
    stages: dict[str, str] = field(default_factory=dict)
    outcomes: dict[str, dict[str, Any]] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    status_errors: Counter[str] = field(default_factory=Counter)
    robot_errors: Counter[str] = field(default_factory=Counter)
    fresh_links: Counter[str] = field(default_factory=Counter)
    """Fresh links the borrowers asked for, by answer: how lost redirects were recovered."""
    post_retries: Counter[str] = field(default_factory=Counter)
    _calls: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(CONCURRENCY))

    @property
    def document_ids(self) -> list[str]:
        return [f"DEMO{run}" for run in self.runs]

    def in_flight(self) -> Counter[str]:
        """Lifecycles without an outcome, by their last seen stage."""
        return Counter(stage for doc, stage in self.stages.items() if doc not in self.outcomes)

    async def _post(self, run: str) -> str | None:
        """Send one loan event as an LOS does: the same event again while the gateway
        answers 503 ("Temporal is unavailable; retry later") or the connection fails."""
        event = await dev.loan_event(self.stack.blobs, run)
        deadline = time.monotonic() + 60
        while True:
            try:
                async with self._calls:
                    response = await self.http.post(
                        f"{dev.GATEWAY}/v1/loan-events", json=event, headers=HEADERS
                    )
            except httpx.HTTPError as exc:
                answer = type(exc).__name__
            else:
                if response.status_code in (200, 202):  # started, or already started
                    break
                answer = f"HTTP {response.status_code} {response.text}"
                if response.status_code != 503:
                    self.refused.append(f"{run}: {answer}")
                    return None
            self.post_retries[answer.split(" {")[0]] += 1
            if time.monotonic() > deadline:
                self.refused.append(f"{run}: {answer}")
                return None
            await asyncio.sleep(1)
        document_id: str = event["document_id"]
        self.stages[document_id] = "started"
        return document_id

    async def run(self, *, per_second: float, seconds: float) -> None:
        """Post the loan events at `per_second` and drive each lifecycle from its start
        until all ended or `seconds` passed (from the first post)."""
        deadline = time.monotonic() + seconds

        async def one(delay: float, run: str) -> None:
            await asyncio.sleep(delay)
            document_id = await self._post(run)
            if document_id is not None:
                await self._drive(document_id, deadline)

        await asyncio.gather(*(one(n / per_second, run) for n, run in enumerate(self.runs)))

    async def _status(self, document_id: str) -> dict[str, Any] | None:
        try:
            async with self._calls:
                response = await self.http.get(
                    f"{dev.GATEWAY}/v1/signings/{document_id}", headers=HEADERS
                )
        except httpx.HTTPError as exc:
            self.status_errors[type(exc).__name__] += 1
            return None
        if response.status_code != 200:
            self.status_errors[f"HTTP {response.status_code}"] += 1
            return None
        status: dict[str, Any] = response.json()
        return status

    async def _use(self, robot: SignerRobot, action: str, link: str) -> None:
        try:
            async with self._calls:
                if action == "activate":
                    await robot.activate(link)
                else:
                    await robot.sign(link)
        except Exception as exc:
            self.robot_errors[f"{action}: {type(exc).__name__}"] += 1

    async def _fresh_link(self, document_id: str, action: str, email: str) -> None:
        kind = "activation-link" if action == "activate" else "sign-link"
        try:
            response = await self.http.post(
                f"{dev.GATEWAY}/v1/signings/{document_id}/{kind}",
                json={"email": email},
                headers=HEADERS,
            )
            self.fresh_links[f"{kind} HTTP {response.status_code}"] += 1
        except httpx.HTTPError as exc:
            self.fresh_links[f"{kind} {type(exc).__name__}"] += 1

    async def _drive(self, document_id: str, deadline: float) -> None:
        """Play the borrowers until the lifecycle ends or the deadline (adapted `dev._drive`)."""
        robot = SignerRobot(self.http)
        used: dict[str, float] = {}  # link → when the borrower used it
        while time.monotonic() < deadline:
            status = await self._status(document_id)
            if status is not None:
                self.stages[document_id] = status["stage"]
                if status.get("outcome"):
                    self.outcomes[document_id] = status["outcome"]
                    return
                for signer in status["signers"]:
                    stage = signer["stage"]
                    for wanted, key, action in (
                        ("awaiting_activation", "activation_link", "activate"),
                        ("awaiting_signature", "sign_link", "sign"),
                    ):
                        link = (signer.get(key) or {}).get("link")
                        if stage != wanted or not link:
                            continue
                        if link not in used:
                            used[link] = time.monotonic()  # a link is single use
                            await self._use(robot, action, link)
                        elif time.monotonic() - used[link] > STALE_SECONDS:
                            # Both deliveries of the redirect were lost (Temporal was
                            # down): the borrower asks for a fresh link, as the runbook
                            # says; Digisign's "already signed/active" resumes the
                            # lifecycle, or the new link is used.
                            used[link] = time.monotonic()
                            await self._fresh_link(document_id, action, signer["email"])
            await asyncio.sleep(POLL_SECONDS)

    async def wait_for(
        self, condition: Callable[[Fleet], bool], *, seconds: float, what: str
    ) -> bool:
        """Poll `condition` (on the drivers' view) every 0.2 s; whether it came true."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition(self):
                say(f"{what}: in flight {dict(self.in_flight())}")
                return True
            await asyncio.sleep(0.2)
        say(f"{what}: not reached in {seconds:.0f} s; in flight {dict(self.in_flight())}")
        return False


def runs(count: int) -> list[str]:
    """Run ids whose last eight digits differ (NIK and phone of `dev.loan_event` use them)."""
    stamp = datetime.now(UTC).strftime("%d%H%M%S")
    return [f"{stamp}{n:04d}" for n in range(count)]


@dataclass(frozen=True)
class Charges:
    """What the sandbox's ledger says about a fleet."""

    identity_checks: int
    users: int
    documents: Counter[str]
    double_charges: int
    notes: tuple[str, ...]


async def charges(http: httpx.AsyncClient, fleet: Fleet) -> Charges:
    """Compare the ledger with the fleet: one identity check per new signer, one charge
    per document.

    Identity-check entries carry the registration's `refTrx`, not the user, so "one per
    signer" is checked as: as many checks as users the sandbox knows, and exactly the
    fleet's signers as users (a refTrx is not unique: it has millisecond resolution).
    Document entries carry the document id.
    """
    ledger = (await http.get(f"{dev.SANDBOX}/_sandbox/ledger")).json()
    users = (await http.get(f"{dev.SANDBOX}/_sandbox/users")).json()
    entries = ledger["entries"]
    identity = [e for e in entries if e["kind"] == "identity_check"]
    documents = Counter(e["reference"] for e in entries if e["kind"] == "document")
    emails = {u["email"].lower() for u in users}
    expected = {f"borrower{n}.{run}@demo.signflow.test" for run in fleet.runs for n in (1, 2)}
    notes: list[str] = []
    double = sum(c - 1 for c in documents.values() if c > 1)
    # A second check of any signer makes more checks than users. (Not by reference:
    # a refTrx has millisecond resolution, so two registrations may share one.)
    double += max(0, len(identity) - len(emails))
    if emails != expected:
        notes.append(
            f"users: {len(emails - expected)} unexpected, {len(expected - emails)} missing"
        )
    missing = set(fleet.document_ids) - set(documents)
    if missing:
        notes.append(f"{len(missing)} documents never charged")
    extra = set(documents) - set(fleet.document_ids)
    if extra:
        notes.append(f"{len(extra)} unknown documents charged")
    return Charges(len(identity), len(emails), documents, double, tuple(notes))


def row(scenario: str, fleet: Fleet, charged: Charges) -> Row:
    """The scoreboard row: completed, wrong outcome, stuck (no outcome), double charges."""
    statuses = Counter(outcome["status"] for outcome in fleet.outcomes.values())
    completed = statuses.get("completed", 0)
    total = len(fleet.runs)
    say(
        f"{scenario}: {total} lifecycles, outcomes {dict(statuses)}, "
        f"stuck {total - len(fleet.outcomes)} (last stages {dict(fleet.in_flight())}); "
        f"ledger: {charged.identity_checks} identity checks for {charged.users} users, "
        f"{sum(charged.documents.values())} document charges for {len(charged.documents)} "
        f"documents; notes {list(charged.notes)}; status errors {dict(fleet.status_errors)}; "
        f"robot errors {dict(fleet.robot_errors)}; fresh links asked {dict(fleet.fresh_links)}; "
        f"loan events sent again "
        f"{dict(fleet.post_retries)}; refused events {fleet.refused[:3]}"
    )
    return Row(
        scenario=scenario,
        lifecycles=total,
        completed=completed,
        wrong_outcome=len(fleet.outcomes) - completed + len(fleet.refused),
        stuck=total - len(fleet.outcomes) - len(fleet.refused),
        double_charges=charged.double_charges,
    )
