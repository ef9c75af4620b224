"""Tracing through Temporal's interceptor: a lifecycle leaves workflow and activity spans."""

from __future__ import annotations

import uuid

from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.workflows.conftest import signing_request
from tests.workflows.fakes import ScriptedDigisign
from workers.telemetry import tracing
from workflows import names
from workflows.models import OutcomeStatus
from workflows.signing import SigningWorkflow


async def test_a_traced_lifecycle_exports_workflow_and_activity_spans(
    env: WorkflowEnvironment,
) -> None:
    exported = InMemorySpanExporter()
    interceptor = tracing("signflow-test", None, processor=SimpleSpanProcessor(exported))
    assert interceptor is not None
    config = env.client.config()
    config["interceptors"] = [interceptor]
    client = Client(**config)
    digisign = ScriptedDigisign(client=client)
    task_queue = f"traced-{uuid.uuid4()}"
    request = signing_request(1)
    async with Worker(
        client, task_queue=task_queue, workflows=[SigningWorkflow], activities=digisign.activities()
    ):
        outcome = await client.execute_workflow(
            SigningWorkflow.run,
            request,
            id=names.workflow_id(request.document_id),
            task_queue=task_queue,
        )
    assert outcome.status is OutcomeStatus.COMPLETED
    spans = {span.name for span in exported.get_finished_spans()}
    assert f"StartWorkflow:{names.WORKFLOW_NAME}" in spans
    assert "RunActivity:digisign.register" in spans
    assert "RunActivity:digisign.download_signed" in spans


def test_no_endpoint_means_no_tracing() -> None:
    assert tracing("signflow", None) is None
