"""Record the histories that tests/workflows/test_replay.py replays.

Run after an intended change of workflow behaviour (and only then):

    .venv/bin/python -m tests.workflows.record_histories

Each scenario runs the real workflow against the scripted Digisign on the
time-skipping server and writes its history as JSON. Replaying them on every test
run proves that a code change does not break lifecycles already running in
production; a change that must alter histories needs `workflow.patched`.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.models import RegisterResult
from digisign import errors as e
from digisign.endpoints import Endpoint
from digisign.results import RegistrationKind
from tests.support.binaries import venv_binary
from tests.workflows.conftest import register_search_attributes, signing_request
from tests.workflows.fakes import ScriptedDigisign, retry_later
from workflows import names
from workflows.models import SigningRequest
from workflows.signing import SigningWorkflow

HISTORIES = Path(__file__).parent / "histories"

Scenario = Callable[[ScriptedDigisign], SigningRequest]


def two_signers_in_sequence(fake: ScriptedDigisign) -> SigningRequest:
    return signing_request(2, sequence=True, los_callback_url="https://los.example/cb")


def busy_digisign(fake: ScriptedDigisign) -> SigningRequest:
    fake.scripts["register"] = [retry_later(Endpoint.REGISTER)]
    fake.scripts["send_document"] = [retry_later(Endpoint.SEND_DOCUMENT)]
    return signing_request(1)


def rejected(fake: ScriptedDigisign) -> SigningRequest:
    request = signing_request(2)
    fake.humans[request.signers[1].email] = "reject"
    return request


def certificate_expired(fake: ScriptedDigisign) -> SigningRequest:
    active = RegisterResult(kind=RegistrationKind.ALREADY_ACTIVE)
    fake.scripts["register"] = [active, RegisterResult(kind=RegistrationKind.REREGISTERED)]
    fake.scripts["send_document"] = [
        e.CertificateExpired(Endpoint.SEND_DOCUMENT, "15", "gagal", info="habis masa berlakunya")
    ]
    request = signing_request(1)
    fake.humans[request.signers[0].email] = "expire"
    fake.scripts["register"].append(RegisterResult(kind=RegistrationKind.REREGISTERED))
    return request


def verification_failed(fake: ScriptedDigisign) -> SigningRequest:
    fake.scripts["register"] = [
        e.VerificationFailed(
            Endpoint.REGISTER, "12", "gagal", checks=frozenset({e.VerificationCheck.FACE})
        )
    ]
    return signing_request(1)


SCENARIOS: dict[str, Scenario] = {
    "two_signers_in_sequence": two_signers_in_sequence,
    "busy_digisign": busy_digisign,
    "rejected": rejected,
    "certificate_expired": certificate_expired,
    "verification_failed": verification_failed,
}


async def record(name: str, scenario: Scenario) -> None:
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=venv_binary("temporal-test-server"),
    ) as env:
        await register_search_attributes(env.client)
        fake = ScriptedDigisign(client=env.client)
        request = scenario(fake)
        # A fixed document id keeps the recorded files stable from one recording to the next.
        request = request.model_copy(update={"document_id": f"replay-{name[:13]}"})
        task_queue = f"record-{uuid.uuid4()}"
        async with Worker(
            env.client,
            task_queue=task_queue,
            workflows=[SigningWorkflow],
            activities=fake.activities(),
        ):
            handle = await env.client.start_workflow(
                SigningWorkflow.run,
                request,
                id=names.workflow_id(request.document_id),
                task_queue=task_queue,
            )
            await handle.result()
            history = await handle.fetch_history()
    (HISTORIES / f"{name}.json").write_text(history.to_json())
    print(f"recorded {name}")


async def main(run: Callable[[str, Scenario], Awaitable[Any]] = record) -> None:
    HISTORIES.mkdir(exist_ok=True)
    for name, scenario in SCENARIOS.items():
        await run(name, scenario)


if __name__ == "__main__":
    asyncio.run(main())
    # The SDK's Rust runtime can abort the interpreter's finalization (a GIL error);
    # the files are written, so leave at once.
    sys.stdout.flush()
    os._exit(0)
