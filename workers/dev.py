"""`signflow dev`: the embedded default, end to end, on this machine.

Starts four real processes — the Temporal dev server (SQLite file, UI on :8233 with
the gateway as its codec endpoint, search attributes registered), the Digisign
sandbox, the worker and the gateway — then plays a loan-origination system and two
borrowers: it posts a loan event (two signers in sequence, a generated agreement,
generated photos), receives signflow's notifications at its callback URL
(`workers.demo_los`), hands each link to the signer robot, which clicks through the
sandbox's activation and sign pages, and reports the signed PDF when signflow says the
lifecycle completed. Every process is stopped on exit or Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit

import httpx

from activities.blobs import FilesystemBlobStore
from sandbox.agreement import SIGNATURE_AREAS, sample_agreement
from sandbox.robot import SignerRobot
from workers.demo_los import DemoLos
from workers.settings import SANDBOX_AES_KEY, SANDBOX_TOKEN, SANDBOX_USERID
from workflows.names import SEARCH_ATTRIBUTES, workflow_id

TEMPORAL_PORT, UI_PORT, SANDBOX_PORT, GATEWAY_PORT = 7233, 8233, 8081, 8000
GATEWAY = f"http://127.0.0.1:{GATEWAY_PORT}"
SANDBOX = f"http://127.0.0.1:{SANDBOX_PORT}"
UI = f"http://localhost:{UI_PORT}"
EVENT_TOKEN = "signflow-dev-token"  # noqa: S105 - the embedded default's own token

# A real 8x8 baseline JPEG (grey), standing in for the KTP photo and the selfie.
PHOTO = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c"
    "1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0"
    "000b080008000801011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bff"
    "c400b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a10823"
    "42b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a5354555657"
    "58595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aa"
    "b2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8"
    "f9faffda0008010100003f00fbd3ffd9"
)


def say(message: str) -> None:
    """Progress for the person watching."""
    print(f"[signflow dev] {message}", flush=True)


@dataclass
class Processes:
    """Child processes, stopped in reverse order of start."""

    logs: Path
    children: list[tuple[str, subprocess.Popen[bytes], IO[bytes]]] = field(default_factory=list)

    def start(self, name: str, command: list[str], env: dict[str, str]) -> None:
        log = (self.logs / f"{name}.log").open("ab")
        child = subprocess.Popen(  # noqa: S603 - our own executables, no shell
            command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        self.children.append((name, child, log))
        say(f"started {name} (pid {child.pid}, log {self.logs / f'{name}.log'})")

    def check(self) -> None:
        """Fail fast when a child died."""
        for name, child, _ in self.children:
            if child.poll() is not None:
                raise DevError(
                    f"{name} exited with status {child.returncode}; see {self.logs / name}.log"
                )

    def stop(self) -> None:
        for name, child, log in reversed(self.children):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
                try:
                    child.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
            log.close()
            say(f"stopped {name}")
        self.children.clear()


@contextlib.contextmanager
def running(logs: Path) -> Iterator[Processes]:
    processes = Processes(logs)
    try:
        yield processes
    finally:
        processes.stop()


def environment(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "SIGNFLOW_TEMPORAL_ADDRESS": f"127.0.0.1:{TEMPORAL_PORT}",
            "SIGNFLOW_DIGISIGN_BASE_URL": SANDBOX,
            "SIGNFLOW_GATEWAY_PORT": str(GATEWAY_PORT),
            "SIGNFLOW_GATEWAY_PUBLIC_URL": GATEWAY,
            "SIGNFLOW_BLOB_ROOT": str(data_dir / "blobs"),
            "SIGNFLOW_EVENT_TOKEN": EVENT_TOKEN,
            "SIGNFLOW_LOG_FORMAT": "json",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _sandbox_config(data_dir: Path) -> Path:
    path = data_dir / "sandbox.toml"
    path.write_text(
        "\n".join(
            [
                f'public_url = "{SANDBOX}"',
                "server_redirects = true",
                "[[partners]]",
                f'userid = "{SANDBOX_USERID}"',
                f'token = "{SANDBOX_TOKEN}"',
                f'aes_key = "{SANDBOX_AES_KEY}"',
                f'activation_redirect_url = "{GATEWAY}/digisign/activation"',
                f'sign_redirect_url = "{GATEWAY}/digisign/sign"',
                "",
            ]
        )
    )
    return path


def temporal_command(data_dir: Path) -> list[str]:
    binary = Path(sys.executable).parent / "temporal"
    command = [
        str(binary), "server", "start-dev",
        "--db-filename", str(data_dir / "temporal.db"),
        "--port", str(TEMPORAL_PORT),
        "--ui-port", str(UI_PORT),
        "--ui-codec-endpoint", f"{GATEWAY}/codec",
        "--log-level", "warn",
    ]  # fmt: skip
    kinds = {"KEYWORD": "Keyword", "INT": "Int", "KEYWORD_LIST": "KeywordList"}
    for key in SEARCH_ATTRIBUTES:
        kind = kinds[key.indexed_value_type.name.removeprefix("INDEXED_VALUE_TYPE_")]
        command += ["--search-attribute", f"{key.name}={kind}"]
    return command


async def wait_ready(url: str, processes: Processes, what: str, limit: float = 90) -> None:
    deadline = time.monotonic() + limit
    async with httpx.AsyncClient(timeout=2) as http:
        while True:
            processes.check()
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(url)).status_code == 200:
                    say(f"{what} is ready")
                    return
            if time.monotonic() > deadline:
                raise DevError(f"{what} did not become ready at {url}")
            await asyncio.sleep(0.5)


def _person(n: int, run: str) -> dict[str, Any]:
    names = ["Siti Rahmawati", "Budi Santoso"]
    digits = "".join(c for c in run if c.isdigit())[-8:].rjust(8, "0")
    return {
        "name": names[n - 1],
        "gender": "Perempuan" if n == 1 else "Laki-laki",
        "birth_date": "17-08-1990" if n == 1 else "02-05-1985",
        "birth_place": "Bandung" if n == 1 else "Surabaya",
        "nik": f"3273{n:02d}{digits}{n:02d}",
        "email": f"borrower{n}.{run}@demo.signflow.test",
        "phone": f"0812{digits}{n}",
    }


async def loan_event(blobs: FilesystemBlobStore, run: str) -> dict[str, Any]:
    document_id = f"DEMO{run}"  # 4 + at most 16 characters: within Digisign's 20
    loan_id = f"LOAN-{run}"
    parties = [_person(1, run)["name"], _person(2, run)["name"]]
    agreement = sample_agreement(title="Perjanjian Kredit", loan_id=loan_id, parties=parties)
    document = await blobs.put(
        f"demo/{run}/agreement.pdf", agreement, content_type="application/pdf"
    )
    signers = []
    for n in (1, 2):
        person = _person(n, run)
        ktp = await blobs.put(f"demo/{run}/ktp-{n}.jpg", PHOTO, content_type="image/jpeg")
        selfie = await blobs.put(f"demo/{run}/selfie-{n}.jpg", PHOTO, content_type="image/jpeg")
        llx, lly, urx, ury = SIGNATURE_AREAS[n - 1]
        signers.append(
            {
                **person,
                "ktp_photo": ktp,
                "selfie": selfie,
                "signatures": [
                    {"box": {"page": 2, "llx": llx, "lly": lly, "urx": urx, "ury": ury}}
                ],
                "signing_seq": n,
                "consent": {
                    "given_at": datetime.now(UTC).isoformat(),
                    "terms_version": "digisign-tnc-2023-04",
                },
            }
        )
    return {
        "loan_id": loan_id,
        "document_id": document_id,
        "document": document,
        "signers": signers,
        "sequence_option": True,
    }


async def _sign_loan(
    http: httpx.AsyncClient, blobs: FilesystemBlobStore, los: DemoLos, run: str
) -> tuple[Path, str, str] | None:
    """Send one loan event and act as its borrowers; the signed PDF, or None."""
    event = {**await loan_event(blobs, run), "los_callback_url": los.callback_url}
    response = await http.post(
        f"{GATEWAY}/v1/loan-events", json=event, headers={"Authorization": f"Bearer {EVENT_TOKEN}"}
    )
    if response.status_code != 202:
        say(f"the gateway refused the loan event: HTTP {response.status_code} {response.text}")
        return None
    say(f"loan {event['loan_id']} sent: lifecycle {response.json()['workflow_id']} started")
    status = await asyncio.wait_for(
        _drive(http, event["document_id"], los.inbox(event["document_id"])), timeout=600
    )
    outcome = status["outcome"]
    if outcome["status"] != "completed":
        say(f"loan {event['loan_id']} ended as {outcome['status']}: {outcome.get('detail', '')}")
        return None
    ref = outcome["signed_document"]["ref"]
    digest = hashlib.sha256(await blobs.get(ref)).hexdigest()
    ui_link = f"{UI}/namespaces/default/workflows/{workflow_id(event['document_id'])}"
    return Path(unquote(urlsplit(ref).path)), digest, ui_link


async def _drive(
    http: httpx.AsyncClient, document_id: str, inbox: asyncio.Queue[dict[str, Any]]
) -> dict[str, Any]:
    """Act as the borrowers on each link the LOS receives, until signflow reports the
    end; return the lifecycle's final status (from the gateway)."""
    robot = SignerRobot(http)
    while True:
        note = await inbox.get()
        event, n = note["event"], (note.get("signer_index") or 0) + 1
        if event == "activation_link":
            say(f"{document_id} signer {n}: awaiting activation")
            say(f"signer {n} opens the activation page and activates")
            await robot.activate(note["link"])
        elif event == "sign_link":
            say(f"{document_id} signer {n}: awaiting signature")
            say(f"signer {n} opens the sign page and signs")
            await robot.sign(note["link"])
        else:  # completed or ended
            break
    headers = {"Authorization": f"Bearer {EVENT_TOKEN}"}
    response = await http.get(f"{GATEWAY}/v1/signings/{document_id}", headers=headers)
    response.raise_for_status()
    status: dict[str, Any] = response.json()
    return status


@contextlib.asynccontextmanager
async def _interruptible() -> AsyncIterator[asyncio.Event]:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        yield stop
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


@dataclass(frozen=True)
class DevOptions:
    """What `signflow dev` runs.

    Attributes:
        loans: how many loans to sign, at the same time.
        faults: sandbox fault specs (`python -m sandbox --fault`), e.g. "retry_later=0.2".
        retry_later_seconds: the wait after a `91` (default: the settings' 10 minutes).
    """

    loans: int = 1
    faults: tuple[str, ...] = ()
    retry_later_seconds: int | None = None


async def run_dev(
    *, data_dir: Path, keep_running: bool = False, options: DevOptions | None = None
) -> int:
    """Run the embedded default and sign the demo loans; the exit status.

    Args:
        data_dir: an absolute directory for state, blobs and logs (created).
        keep_running: after the demo, leave everything up until Ctrl-C.
        options: loans, faults and timing.
    """
    options = options or DevOptions()
    logs = data_dir / "logs"
    await asyncio.to_thread(logs.mkdir, parents=True, exist_ok=True)
    env = environment(data_dir)
    if options.retry_later_seconds is not None:
        env["SIGNFLOW_RETRY_LATER_DELAY_SECONDS"] = str(options.retry_later_seconds)
    run = datetime.now(UTC).strftime("%y%m%d%H%M%S") + secrets.token_hex(1)
    async with _interruptible() as stop:
        with running(logs) as processes:
            work = asyncio.create_task(_demo(processes, data_dir, env, run, options))
            stopper = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait({work, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if work not in done:
                work.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await work
                say("interrupted: stopping everything")
                return 130
            try:
                status = work.result()
            except DevError as exc:
                say(str(exc))
                return 1
            if keep_running and status == 0:
                say(f"everything keeps running: sandbox {SANDBOX}, gateway {GATEWAY}, UI {UI}")
                say("press Ctrl-C to stop")
                await stopper
            stopper.cancel()
            return status


async def _demo(
    processes: Processes,
    data_dir: Path,
    env: dict[str, str],
    run: str,
    options: DevOptions,
) -> int:
    await start_processes(processes, data_dir, env, faults=options.faults)
    blobs = FilesystemBlobStore(data_dir / "blobs")
    runs = [run] if options.loans == 1 else [f"{run}{n:02d}" for n in range(options.loans)]
    async with DemoLos() as los, httpx.AsyncClient(timeout=30) as http:
        results = await asyncio.gather(*(_sign_loan(http, blobs, los, r) for r in runs))
    failed = [r for r in results if r is None]
    if failed:
        say(f"{len(failed)} of {len(results)} loans did not complete")
        return 1
    for path, digest, ui_link in (r for r in results if r is not None):
        print(
            f"\n  signed PDF: {path}\n  SHA-256:    {digest}\n  Temporal UI: {ui_link}", flush=True
        )
    print(flush=True)
    say(f"done: {len(results)} loan agreement(s) signed by both borrowers")
    return 0


class DevError(RuntimeError):
    """The demo cannot run; the message says why and what to do."""


def _require_free_ports() -> None:
    """Refuse to start over another process (often a previous `--keep-running` demo)."""
    for port, what in (
        (TEMPORAL_PORT, "Temporal"),
        (UI_PORT, "the Temporal UI"),
        (SANDBOX_PORT, "the sandbox"),
        (GATEWAY_PORT, "the gateway"),
    ):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.settimeout(0.5)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                raise DevError(
                    f"port {port} (for {what}) is already in use: stop what listens there "
                    "(another `signflow dev`?) and run again"
                )


async def start_processes(
    processes: Processes, data_dir: Path, env: dict[str, str], *, faults: Sequence[str] = ()
) -> None:
    """Start the dev server, the sandbox, the worker and the gateway; return once all answer.

    Args:
        processes: where the children are registered (and stopped, by `running`).
        data_dir: the directory for state and blobs, as given to `environment`.
        env: the processes' environment, from `environment(data_dir)`.
        faults: sandbox fault specs (`python -m sandbox --fault`).
    """
    python = sys.executable
    fault_args = [arg for spec in faults for arg in ("--fault", spec)]
    _require_free_ports()
    processes.start("temporal", temporal_command(data_dir), env)
    processes.start(
        "sandbox",
        [python, "-m", "sandbox", "--port", str(SANDBOX_PORT), "--state",
         str(data_dir / "sandbox.db"), "--config", str(_sandbox_config(data_dir)), *fault_args],
        env,
    )  # fmt: skip
    await wait_ready(f"{SANDBOX}/_sandbox/healthz", processes, "the Digisign sandbox")
    await wait_ready(f"http://127.0.0.1:{UI_PORT}/", processes, "the Temporal dev server")
    processes.start("worker", [python, "-m", "workers", "worker"], env)
    processes.start("gateway", [python, "-m", "workers", "gateway"], env)
    await wait_ready(f"{GATEWAY}/readyz", processes, "the gateway")
