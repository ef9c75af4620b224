"""Redirect path: Digisign's sign redirects through the gateway versus bare signals.

    .venv/bin/python -m bench.redirects [--count 100] [--concurrency 20]

Starts a Temporal dev server (`WorkflowEnvironment.start_local`, the venv's
`temporal` binary, signflow's search attributes), a worker running the real
`SigningWorkflow` with `ScriptedDigisign` (every signer activates, nobody signs) and
the gateway on a real uvicorn server. 2 x count lifecycles of 2 signers, signing in
parallel, are started and left waiting for both signatures. Then:

- gateway: one sign redirect (`GET /digisign/sign?msg=<AES msg>`) per signer of the
  first half: decrypt, status query, `signed` signal; timed from the HTTP request
  to its 200 answer (the signal accepted by the server);
- floor: one bare `handle.signal("signed", ...)` per signer of the second half.

Both with the same concurrency; reported: redirects (signals)/s, p50 and p99
latency, and the ratio. The gateway, the worker and the load share this process
(one GIL) in both halves.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable

import httpx
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from bench.common import machine, percentile, table
from digisign.cipher import RedirectCipher
from gateway.app import create_app
from gateway.config import GatewayConfig
from tests.support.binaries import venv_binary
from tests.support.servers import serve
from tests.workflows.conftest import signing_request
from tests.workflows.fakes import ScriptedDigisign
from workers.settings import SANDBOX_AES_KEY
from workflows import names
from workflows.models import SignedSignal, SignerStage
from workflows.signing import SigningWorkflow
from workflows.starting import start_signing

TASK_QUEUE = "bench-redirects"
EMAILS = ("signer1@example.com", "signer2@example.com")


def sign_msg(document_id: str, email: str) -> str:
    """A sign redirect's msg as Digisign sends it."""
    payload = {
        "document_id": document_id,
        "status": "0",
        "status_document": "waiting",
        "result": "00",
        "notif": "Proses tanda tangan berhasil!",
        "email_user": email,
    }
    return RedirectCipher(SANDBOX_AES_KEY).encrypt(json.dumps(payload))


async def _load(
    calls: list[Callable[[], Awaitable[None]]], concurrency: int
) -> tuple[float, list[float]]:
    """Run `calls`, `concurrency` at a time; wall seconds and each call's latency."""
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def one(call: Callable[[], Awaitable[None]]) -> None:
        async with gate:
            started = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one(c) for c in calls))
    return time.perf_counter() - started, latencies


async def _start_waiting(client: Client, count: int, concurrency: int) -> list[str]:
    """Start `count` lifecycles; return their document ids once all await both signatures."""
    gate = asyncio.Semaphore(concurrency)

    async def start_one() -> str:
        request = signing_request(2)
        async with gate:
            handle = await start_signing(client, request, task_queue=TASK_QUEUE)
            while True:
                status = await handle.query(SigningWorkflow.status)
                if all(
                    s.stage is SignerStage.AWAITING_SIGNATURE and s.sign_link
                    for s in status.signers
                ):
                    return request.document_id
                await asyncio.sleep(0.1)

    return list(await asyncio.gather(*(start_one() for _ in range(count))))


async def run(count: int, concurrency: int) -> None:
    async with await WorkflowEnvironment.start_local(
        dev_server_existing_path=venv_binary("temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=names.SEARCH_ATTRIBUTES,
    ) as env:
        client = env.client
        digisign = ScriptedDigisign(client=client, humans=dict.fromkeys(EMAILS, "no-sign"))
        async with Worker(
            client,
            task_queue=TASK_QUEUE,
            workflows=[SigningWorkflow],
            activities=digisign.activities(),
        ):
            print(f"starting {2 * count} lifecycles and waiting for them to await signatures")
            documents = await _start_waiting(client, 2 * count, concurrency)
            via_gateway, bare = documents[:count], documents[count:]
            config = GatewayConfig(
                public_url="http://127.0.0.1",
                task_queue=TASK_QUEUE,
                digisign_aes_key=SecretStr(SANDBOX_AES_KEY),
                event_token=SecretStr("bench-token"),
            )
            with serve(create_app(config, client)) as base:
                limits = httpx.Limits(max_connections=concurrency)
                async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:

                    def redirect(document_id: str, email: str) -> Callable[[], Awaitable[None]]:
                        url = f"{config.sign_path}?msg={sign_msg(document_id, email)}"

                        async def call() -> None:
                            response = await http.get(url)
                            if response.status_code != 200:
                                raise RuntimeError(f"HTTP {response.status_code}: {response.text}")

                        return call

                    gateway_wall, gateway_each = await _load(
                        [redirect(d, e) for d in via_gateway for e in EMAILS], concurrency
                    )

            def signal(document_id: str, email: str) -> Callable[[], Awaitable[None]]:
                handle = client.get_workflow_handle(names.workflow_id(document_id))
                payload = SignedSignal(email=email, document_id=document_id)

                async def call() -> None:
                    await handle.signal(names.SIGNAL_SIGNED, payload)

                return call

            bare_wall, bare_each = await _load(
                [signal(d, e) for d in bare for e in EMAILS], concurrency
            )
    n = 2 * count
    gateway_rate, bare_rate = n / gateway_wall, n / bare_wall
    print()
    print(machine())
    print(f"{n} signals each way, {concurrency} concurrent callers, one dev server\n")
    print(
        table(
            "Sign redirect to accepted signal",
            ["path", "signals/s", "p50 ms", "p99 ms", "max ms"],
            [
                ["gateway GET /digisign/sign", gateway_rate,
                 1000 * percentile(gateway_each, 50), 1000 * percentile(gateway_each, 99),
                 1000 * max(gateway_each)],
                ["bare handle.signal", bare_rate,
                 1000 * percentile(bare_each, 50), 1000 * percentile(bare_each, 99),
                 1000 * max(bare_each)],
            ],
        )
    )  # fmt: skip
    print(f"\nratio gateway/bare: {gateway_rate / bare_rate:.2f}")


def main() -> None:
    cli = argparse.ArgumentParser(
        prog="python -m bench.redirects", description=__doc__.split("\n")[0]
    )
    cli.add_argument("--count", type=int, default=100, help="lifecycles per path (2 signers each)")
    cli.add_argument("--concurrency", type=int, default=20, help="concurrent callers")
    args = cli.parse_args()
    asyncio.run(run(args.count, args.concurrency))


if __name__ == "__main__":
    main()
