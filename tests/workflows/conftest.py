"""Workflow tests on Temporal's time-skipping test server, one environment per test.

One environment per test because the test server's clock jumps years ahead after a
workflow completes, and absolute times (activation deadlines) matter here.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributeKey
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.models import Signature
from digisign.requests import SignBox
from tests.support.binaries import venv_binary
from tests.workflows.fakes import ScriptedDigisign
from workflows import names
from workflows.models import Consent, SignerInput, SigningPolicy, SigningRequest, SigningStatus
from workflows.signing import SigningWorkflow


def _indexed_type(key: SearchAttributeKey[Any]) -> IndexedValueType.ValueType:
    return {
        "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
        "Int": IndexedValueType.INDEXED_VALUE_TYPE_INT,
        "KeywordList": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
    }[key.indexed_value_type.name.removeprefix("INDEXED_VALUE_TYPE_").title().replace("_", "")]


async def register_search_attributes(client: Client) -> None:
    """Register signflow's custom search attributes at the server."""
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=client.namespace,
            search_attributes={key.name: _indexed_type(key) for key in names.SEARCH_ATTRIBUTES},
        )
    )


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    path = venv_binary("temporal-test-server")
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=path
    ) as environment:
        await register_search_attributes(environment.client)
        yield environment


def signer(n: int, *, seq: int | None = None, page: int = 1) -> SignerInput:
    """The n-th test signer (n from 1), with a box of its own."""
    return SignerInput(
        name=f"Signer {chr(64 + n)}",
        gender="Perempuan",
        birth_date=date(1990, 1, n),
        birth_place="Jakarta",
        nik=f"31750{n:011d}",
        email=f"signer{n}@example.com",
        phone=f"0812000000{n:02d}",
        ktp_photo=f"file:///blobs/ktp-{n}.jpg",
        selfie=f"file:///blobs/selfie-{n}.jpg",
        signatures=(
            Signature(
                box=SignBox(
                    page=page, llx=50 + 120 * (n - 1), lly=100, urx=150 + 120 * (n - 1), ury=150
                )
            ),
        ),
        signing_seq=seq,
        consent=Consent(given_at=datetime(2026, 11, 1, tzinfo=UTC), terms_version="tnc-v3"),
    )


def signing_request(
    signers: int = 1, *, sequence: bool = False, policy: SigningPolicy | None = None, **changes: Any
) -> SigningRequest:
    """A request for `signers` signers (in signing_seq order when `sequence`)."""
    fields: dict[str, Any] = {
        "loan_id": "LOAN-1",
        "document_id": f"doc-{uuid.uuid4().hex[:8]}",
        "document": "file:///blobs/agreement.pdf",
        "signers": tuple(signer(n, seq=n if sequence else None) for n in range(1, signers + 1)),
        "sequence_option": sequence,
        "policy": policy or SigningPolicy(),
    }
    fields.update(changes)
    return SigningRequest(**fields)


@dataclass
class Lifecycle:
    """A started lifecycle with its fake Digisign."""

    handle: WorkflowHandle[SigningWorkflow, Any]
    digisign: ScriptedDigisign
    env: WorkflowEnvironment

    async def status(self) -> SigningStatus:
        return await self.handle.query(SigningWorkflow.status)

    async def until(
        self, predicate: Callable[[SigningStatus], bool], limit: float = 10
    ) -> SigningStatus:
        """Poll the status query (real time; the test server's clock stands still)."""
        deadline = asyncio.get_running_loop().time() + limit
        while True:
            status = await self.status()
            if predicate(status):
                return status
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"status never matched: {status!r}")
            await asyncio.sleep(0.05)


@pytest.fixture
async def start(env: WorkflowEnvironment) -> AsyncIterator[Callable[..., Any]]:
    """Start a lifecycle with a scripted Digisign; the worker runs for the whole test."""
    task_queue = f"test-{uuid.uuid4()}"
    digisign = ScriptedDigisign(client=env.client)
    worker = Worker(
        env.client,
        task_queue=task_queue,
        workflows=[SigningWorkflow],
        activities=digisign.activities(),
    )

    async def begin(request: SigningRequest, **script: Any) -> Lifecycle:
        for key, value in script.items():
            if key == "humans":
                digisign.humans.update(value)
            elif key == "extra_signals":
                digisign.extra_signals.update(value)
            else:
                digisign.scripts[key] = list(value)
        handle = await env.client.start_workflow(
            SigningWorkflow.run,
            request,
            id=names.workflow_id(request.document_id),
            task_queue=task_queue,
        )
        return Lifecycle(handle, digisign, env)

    async with worker:
        yield begin
