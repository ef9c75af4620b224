"""The worker's probes over real HTTP: alive from the start, ready only while it polls.

First the endpoints on their own, state by state; then `run_worker` itself, against
a Temporal that never answers and against a real dev server.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from tests.support.binaries import venv_binary
from tests.support.servers import free_port
from workers.health import WorkerHealth, serve_health
from workers.runtime import run_worker
from workers.settings import Settings, load_settings

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def dev() -> AsyncIterator[WorkflowEnvironment]:
    async with await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=venv_binary("temporal"),
        port=free_port(),
    ) as environment:
        yield environment


@pytest.fixture
def health() -> WorkerHealth:
    return WorkerHealth()


@pytest_asyncio.fixture(loop_scope="module")
async def probe(health: WorkerHealth) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client aimed at the endpoints of `health`, served on a free port."""
    async with (
        serve_health(f"127.0.0.1:{free_port()}", health, read_timeout=0.5) as (host, port),
        httpx.AsyncClient(base_url=f"http://{host}:{port}", timeout=5) as client,
    ):
        yield client


async def test_a_starting_worker_is_alive_but_not_ready(probe: httpx.AsyncClient) -> None:
    alive = await probe.get("/healthz")
    ready = await probe.get("/readyz")

    assert (alive.status_code, alive.json()) == (200, {"status": "alive"})
    assert (ready.status_code, ready.json()) == (503, {"status": "starting"})
    assert ready.headers["cache-control"] == "no-store"


async def test_a_polling_worker_is_ready(probe: httpx.AsyncClient, health: WorkerHealth) -> None:
    health.running(lambda: True)

    ready = await probe.get("/readyz")

    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


async def test_a_worker_that_stopped_polling_is_not_ready(
    probe: httpx.AsyncClient, health: WorkerHealth
) -> None:
    polling = True
    health.running(lambda: polling)
    assert (await probe.get("/readyz")).status_code == 200

    polling = False
    ready = await probe.get("/readyz")

    assert (ready.status_code, ready.json()) == (503, {"status": "not polling"})


async def test_a_stopping_worker_is_alive_but_not_ready(
    probe: httpx.AsyncClient, health: WorkerHealth
) -> None:
    health.running(lambda: True)
    health.stopping()

    ready = await probe.get("/readyz")

    assert (ready.status_code, ready.json()) == (503, {"status": "stopping"})
    assert (await probe.get("/healthz")).status_code == 200


async def test_head_answers_without_a_body_and_queries_are_ignored(
    probe: httpx.AsyncClient, health: WorkerHealth
) -> None:
    health.running(lambda: True)

    head = await probe.head("/readyz?verbose=1")

    assert head.status_code == 200
    assert head.content == b""
    assert int(head.headers["content-length"]) > 0


@pytest.mark.parametrize(
    ("method", "path", "status"), [("POST", "/readyz", 405), ("GET", "/metrics", 404)]
)
async def test_other_methods_and_paths_are_refused(
    probe: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    answer = await probe.request(method, path)

    assert answer.status_code == status
    if status == 405:
        assert answer.headers["allow"] == "GET, HEAD"


async def raw_exchange(base_url: str, request: bytes) -> bytes:
    url = httpx.URL(base_url)
    reader, writer = await asyncio.open_connection(url.host, url.port)
    writer.write(request)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), timeout=5)
    writer.close()
    await writer.wait_closed()
    return answer


async def test_a_request_that_is_not_http_gets_400(probe: httpx.AsyncClient) -> None:
    answer = await raw_exchange(str(probe.base_url), b"HELLO\r\n\r\n")

    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")


async def test_a_silent_or_oversized_client_is_dropped_and_others_are_answered(
    probe: httpx.AsyncClient,
) -> None:
    url = probe.base_url
    silent_reader, silent_writer = await asyncio.open_connection(url.host, url.port)
    assert (await probe.get("/healthz")).status_code == 200  # while it hangs

    dropped = await asyncio.wait_for(silent_reader.read(), timeout=5)  # after read_timeout
    oversized = await raw_exchange(str(url), b"GET /" + b"a" * 20_000 + b" HTTP/1.1\r\n\r\n")

    assert dropped == b""
    assert oversized == b""
    silent_writer.close()
    await silent_writer.wait_closed()


async def test_a_taken_address_fails_loudly(health: WorkerHealth) -> None:
    address = f"127.0.0.1:{free_port()}"
    async with serve_health(address, health):
        with pytest.raises(OSError):  # noqa: PT011 - the OS decides the errno
            async with serve_health(address, health):
                pass


# The worker process.


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("SIGNFLOW_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env from the working tree


def worker_settings(temporal_address: str, tmp_path: Path) -> tuple[Settings, str]:
    port = free_port()
    settings = load_settings(
        temporal_address=temporal_address,
        task_queue=f"health-{uuid.uuid4()}",
        blob_root=tmp_path / "blobs",
        health_bind_address=f"127.0.0.1:{port}",
        graceful_shutdown_seconds=1,
    )
    return settings, f"http://127.0.0.1:{port}"


async def status_of(base_url: str, path: str) -> int | None:
    """The status code at `path`, or None while nothing listens."""
    async with httpx.AsyncClient(base_url=base_url, timeout=5) as client:
        try:
            return (await client.get(path)).status_code
        except httpx.ConnectError:
            return None


async def until_status(base_url: str, path: str, wanted: int | None, limit: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + limit
    while (status := await status_of(base_url, path)) != wanted:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{path} answered {status}, not {wanted}")
        await asyncio.sleep(0.1)


@pytest.mark.usefixtures("clean_environment")
async def test_a_worker_still_connecting_to_temporal_is_alive_but_not_ready(
    tmp_path: Path,
) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # a Temporal that accepts connections and never answers
        writer.close()

    temporal = await asyncio.start_server(silent, "127.0.0.1", 0)
    settings, base_url = worker_settings(
        f"127.0.0.1:{temporal.sockets[0].getsockname()[1]}", tmp_path
    )
    worker = asyncio.create_task(run_worker(settings, stop=asyncio.Event()))
    try:
        await until_status(base_url, "/healthz", 200)
        assert await status_of(base_url, "/readyz") == 503
    finally:
        worker.cancel()
        with pytest.raises(asyncio.CancelledError):
            await worker
        temporal.close()
        await temporal.wait_closed()
    assert await status_of(base_url, "/healthz") is None


@pytest.mark.usefixtures("clean_environment")
async def test_a_worker_polling_a_real_server_is_ready_until_it_stops(
    dev: WorkflowEnvironment, tmp_path: Path
) -> None:
    settings, base_url = worker_settings(dev.client.service_client.config.target_host, tmp_path)
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(settings, stop=stop))
    try:
        await until_status(base_url, "/readyz", 200)
        assert await status_of(base_url, "/healthz") == 200
    finally:
        stop.set()
        await asyncio.sleep(0)  # the worker task sees the stop before the next probe
        assert await status_of(base_url, "/readyz") in (503, None)
        await asyncio.wait_for(worker, timeout=30)
    assert await status_of(base_url, "/readyz") is None
