"""Builders and probes shared by the gateway tests: events, redirects, history."""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from digisign.cipher import RedirectCipher
from workflows import names
from workflows.models import SigningOutcome, SigningStatus
from workflows.signing import SigningWorkflow

AES_KEY = "RBazsYSDTuShYbUG"  # Digisign's documented test key
EVENT_TOKEN = "gateway-test-token"
HMAC_SECRET = "gateway-test-hmac-secret"
BAD_NIK = "31750000000000X1"

T = TypeVar("T")


def tag() -> str:
    """A short unique tag: test data never collides with another test's."""
    return uuid.uuid4().hex[:10]


def signer(n: int, run: str, *, seq: int | None = None) -> dict[str, Any]:
    """The n-th signer (from 1) of run `run`, as the LOS sends it."""
    return {
        "name": f"Signer {chr(64 + n)}",
        "gender": "Perempuan",
        "birth_date": f"{n:02d}-01-1990",
        "birth_place": "Jakarta",
        "nik": f"31750{n:011d}",
        "email": f"signer{n}.{run}@example.com",
        "phone": f"0812000000{n:02d}",
        "ktp_photo": f"file:///blobs/{run}/ktp-{n}.jpg",
        "selfie": f"file:///blobs/{run}/selfie-{n}.jpg",
        "signatures": [
            {
                "box": {
                    "page": 1,
                    "llx": 50 + 120 * (n - 1),
                    "lly": 100,
                    "urx": 150 + 120 * (n - 1),
                    "ury": 150,
                }
            }
        ],
        "signing_seq": seq,
        "consent": {"given_at": "2026-11-01T09:00:00+07:00", "terms_version": "tnc-v3"},
    }


def loan_event(signers: int = 1, *, sequence: bool = False, **changes: Any) -> dict[str, Any]:
    """A valid loan event with a fresh document id and fresh e-mail addresses."""
    run = tag()
    event: dict[str, Any] = {
        "loan_id": f"LOAN-{run}",
        "document_id": f"doc-{run}",
        "document": f"file:///blobs/{run}/agreement.pdf",
        "sequence_option": sequence,
        "signers": [signer(n, run, seq=n if sequence else None) for n in range(1, signers + 1)],
    }
    event.update(changes)
    return event


def changed(event: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    """A deep copy of `event` with the value at `path` replaced (or removed if `...`)."""
    copied = copy.deepcopy(event)
    target: Any = copied
    for part in path[:-1]:
        target = target[part]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return copied


def emails(event: dict[str, Any]) -> list[str]:
    """The signers' e-mail addresses."""
    return [s["email"] for s in event["signers"]]


def sign_msg(
    document_id: str,
    email: str,
    *,
    rejected: bool = False,
    complete: bool = True,
    key: str = AES_KEY,
    result: str = "00",
) -> str:
    """A sign redirect's msg exactly as Digisign sends it (URL-encoded)."""
    payload = {
        "document_id": document_id,
        "status": "0",
        "status_document": "complete" if complete else "waiting",
        "result": result,
        "notif": "Proses Penolakan Dokumen berhasil!"
        if rejected
        else "Proses tanda tangan berhasil!",
        "email_user": email,
    }
    return RedirectCipher(key).encrypt(json.dumps(payload))


def activation_msg(email: str, *, nik: str = "3175000000000001", key: str = AES_KEY) -> str:
    """An activation redirect's msg exactly as Digisign sends it (URL-encoded)."""
    payload = {
        "result": "00",
        "notif": "Proses Aktivasi Berhasil",
        "email_user": email,
        "nik": nik,
        "verifikasi": {"nama": True, "tanggal_lahir": True, "selfie": True},
    }
    return RedirectCipher(key).encrypt(json.dumps(payload))


def handle(client: Client, document_id: str) -> WorkflowHandle[SigningWorkflow, SigningOutcome]:
    """The lifecycle handle of a document."""
    return client.get_workflow_handle_for(SigningWorkflow.run, names.workflow_id(document_id))


async def status(client: Client, document_id: str) -> SigningStatus:
    """The lifecycle's `status` query."""
    result: SigningStatus = await handle(client, document_id).query(
        names.QUERY_STATUS, result_type=SigningStatus
    )
    return result


async def exists(client: Client, document_id: str) -> bool:
    """Whether the document has a lifecycle at all."""
    try:
        await handle(client, document_id).describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


async def signals(client: Client, document_id: str, name: str | None = None) -> int:
    """How many signals (named `name`, or any) the lifecycle's history holds."""
    count = 0
    async for event in handle(client, document_id).fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED and (
            name is None or event.workflow_execution_signaled_event_attributes.signal_name == name
        ):
            count += 1
    return count


async def eventually(check: Callable[[], Awaitable[T | None]], limit: float = 15.0) -> T:
    """Poll `check()` until it returns something truthy; that value."""
    deadline = asyncio.get_running_loop().time() + limit
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


async def until_stage(
    client: Client, document_id: str, predicate: Callable[[SigningStatus], bool]
) -> SigningStatus:
    """Poll the status query until `predicate` holds."""

    async def check() -> SigningStatus | None:
        current = await status(client, document_id)
        return current if predicate(current) else None

    return await eventually(check)
