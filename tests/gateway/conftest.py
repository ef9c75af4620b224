"""Fixtures for the gateway tests: a real Temporal dev server, a worker, real HTTP servers.

Everything is session-scoped (one dev server, one worker, a few uvicorn servers) to
keep the suite fast; each test makes its own documents and e-mail addresses, so
tests never see each other's lifecycles.

``dev``            the Temporal dev server (pydantic converter, signflow's search attributes)
``digisign``       the `ScriptedDigisign` the worker runs; set ``digisign.humans[email]``
                   to "wait", "no-sign" or "ignore" so the test's redirects drive progress
``config``         the gateway configuration the servers run with (bearer auth)
``gateway``        the base URL of the gateway (bearer auth) on uvicorn
``hmac_gateway``   the base URL of a gateway configured for HMAC signatures
``landing_gateway`` the base URL of a gateway that answers redirects with a 303
``dead_gateway``   the base URL of a gateway whose Temporal client reaches nothing
``http``           an `httpx.AsyncClient` on ``gateway``, authenticated
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from gateway.app import create_app
from gateway.config import GatewayConfig
from tests.gateway.support import AES_KEY, EVENT_TOKEN, HMAC_SECRET
from tests.support.binaries import venv_binary
from tests.support.servers import free_port, serve
from tests.workflows.fakes import ScriptedDigisign
from workflows import names
from workflows.signing import SigningWorkflow

TASK_QUEUE = f"gateway-tests-{uuid.uuid4()}"
LANDING_URL = "https://lender.example/signed?from=signflow"


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def dev() -> AsyncIterator[WorkflowEnvironment]:
    async with await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=venv_binary("temporal"),
        search_attributes=names.SEARCH_ATTRIBUTES,
    ) as environment:
        yield environment


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def digisign(dev: WorkflowEnvironment) -> AsyncIterator[ScriptedDigisign]:
    """The scripted Digisign, run by a worker for the whole session."""
    fake = ScriptedDigisign(client=dev.client)
    async with Worker(
        dev.client,
        task_queue=TASK_QUEUE,
        workflows=[SigningWorkflow],
        activities=fake.activities(),
    ):
        yield fake


def make_config(**changes: Any) -> GatewayConfig:
    """The test gateway's configuration, with `changes`."""
    fields: dict[str, Any] = {
        "public_url": "https://gateway.test",
        "task_queue": TASK_QUEUE,
        "event_auth": "bearer",
        "event_token": SecretStr(EVENT_TOKEN),
        "digisign_aes_key": SecretStr(AES_KEY),
        "temporal_timeout_seconds": 5,
    }
    fields.update(changes)
    return GatewayConfig(**fields)


@pytest.fixture(scope="session")
def config() -> GatewayConfig:
    return make_config()


@pytest.fixture(scope="session")
def gateway(
    dev: WorkflowEnvironment, digisign: ScriptedDigisign, config: GatewayConfig
) -> Iterator[str]:
    with serve(create_app(config, dev.client)) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def hmac_gateway(dev: WorkflowEnvironment, digisign: ScriptedDigisign) -> Iterator[str]:
    config = make_config(
        event_auth="hmac", event_token=None, event_hmac_secret=SecretStr(HMAC_SECRET)
    )
    with serve(create_app(config, dev.client)) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def landing_gateway(dev: WorkflowEnvironment, digisign: ScriptedDigisign) -> Iterator[str]:
    with serve(create_app(make_config(landing_url=LANDING_URL), dev.client)) as base_url:
        yield base_url


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def dead_client() -> Client:
    """A client of a port nothing listens on (it connects lazily, so this works)."""
    return await Client.connect(
        f"127.0.0.1:{free_port()}", lazy=True, data_converter=pydantic_data_converter
    )


@pytest.fixture(scope="session")
def dead_gateway(dead_client: Client) -> Iterator[str]:
    with serve(create_app(make_config(), dead_client)) as base_url:
        yield base_url


@pytest_asyncio.fixture(loop_scope="session")
async def http(gateway: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=gateway,
        headers={"Authorization": f"Bearer {EVENT_TOKEN}"},
        timeout=30,
    ) as client:
        yield client


@pytest_asyncio.fixture(loop_scope="session")
async def anonymous() -> AsyncIterator[httpx.AsyncClient]:
    """A client with no credentials (for redirects, probes and refusals)."""
    async with httpx.AsyncClient(timeout=30) as client:
        yield client
