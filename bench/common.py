"""What every benchmark shares: the machine, child processes, timing and the table.

Machines are shared and noisy, so every benchmark measures the project and its floor
in the same run, on the same servers, and prints both and their ratio.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import httpx

from tests.support.servers import free_port

PYTHON = sys.executable


def cpu_model() -> str:
    """The CPU model named in /proc/cpuinfo (or the platform's guess)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def machine() -> str:
    """One line: CPUs, CPU model, Python, date (UTC)."""
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"machine: nproc={os.cpu_count()}, {cpu_model()}, Python {platform.python_version()}, {now}"
    )


def rss_mib(pid: int) -> float | None:
    """Resident memory of a process in MiB (VmRSS of /proc/<pid>/status), or None."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return None


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table, columns right-aligned except the first."""
    cells = [[str(c) for c in header]] + [[_cell(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([title, line(cells[0]), rule, *(line(r) for r in cells[1:])])


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.3g}" if value else "0"
    return str(value)


class Children:
    """Child processes started by a benchmark, stopped (SIGTERM, then SIGKILL) in reverse."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, command: list[str], env: dict[str, str] | None = None) -> int:
        """Start `command` with output to `<logs>/<name>.log`; its pid."""
        self.logs.mkdir(parents=True, exist_ok=True)
        with (self.logs / f"{name}.log").open("ab") as log:
            child = subprocess.Popen(  # noqa: S603 - our own executables, no shell
                command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        self.started.append((name, child))
        return child.pid

    def check(self) -> None:
        """Fail fast when a child died."""
        for name, child in self.started:
            if child.poll() is not None:
                raise RuntimeError(
                    f"{name} exited ({child.returncode}); see {self.logs}/{name}.log"
                )

    def stop(self) -> None:
        for _, child in reversed(self.started):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
                try:
                    child.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
        self.started.clear()


@contextlib.contextmanager
def children(logs: Path) -> Iterator[Children]:
    """`Children` stopped on exit, whatever happens."""
    running = Children(logs)
    try:
        yield running
    finally:
        running.stop()


async def wait_ready(url: str, running: Children, limit: float = 90) -> None:
    """Poll `url` until it answers 200."""
    deadline = time.monotonic() + limit
    async with httpx.AsyncClient(timeout=2) as http:
        while True:
            running.check()
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(url)).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not become ready")
            await asyncio.sleep(0.2)


async def start_sandbox(running: Children, *, extra: Sequence[str] = ()) -> str:
    """A Digisign sandbox (default partner, state in memory) as a child; its base URL."""
    port = free_port()
    running.start(
        "sandbox",
        [PYTHON, "-m", "sandbox", "--port", str(port), "--state", ":memory:",
         "--log-level", "warning", *extra],
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    await wait_ready(f"{base}/_sandbox/healthz", running)
    return base


def bench_dir(name: str) -> Path:
    """A fresh directory under var/bench/ for one run's state and logs."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    path = Path("var/bench") / f"{name}-{stamp}-{os.getpid()}"
    path.mkdir(parents=True, exist_ok=True)
    return path.absolute()


def dev_on_free_ports() -> None:
    """Point `workers.dev` at free ports instead of 7233/8233/8081/8000.

    The machine is shared: another demo or test run may hold the fixed ports.
    `workers.dev` reads its port globals at call time, so rebinding them moves
    every process it starts (and the URLs it hands out). A benchmark-only measure;
    `workers.dev` taking ports as arguments would make it unnecessary.
    """
    from workers import dev

    temporal, ui, sandbox, gateway = (free_port() for _ in range(4))
    dev.TEMPORAL_PORT, dev.UI_PORT, dev.SANDBOX_PORT, dev.GATEWAY_PORT = (
        temporal, ui, sandbox, gateway,
    )  # fmt: skip
    dev.GATEWAY = f"http://127.0.0.1:{gateway}"
    dev.SANDBOX = f"http://127.0.0.1:{sandbox}"
    dev.UI = f"http://localhost:{ui}"
