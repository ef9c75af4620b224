"""POST /v1/loan-events on a real server and a real Temporal: start once, refuse the rest."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from gateway.cli import EventFileError, describe, start_from_file
from gateway.config import GatewayConfig
from gateway.events import EXAMPLE, LoanEvent
from gateway.intake import MEMO_KEY, IntakeConflict
from tests.gateway.support import (
    BAD_NIK,
    EVENT_TOKEN,
    HMAC_SECRET,
    changed,
    emails,
    exists,
    handle,
    loan_event,
    tag,
    until_stage,
)
from tests.workflows.fakes import ScriptedDigisign
from workflows import names
from workflows.models import OutcomeStatus
from workflows.starting import start_signing

pytestmark = pytest.mark.asyncio(loop_scope="session")


def waiting(digisign: ScriptedDigisign, event: dict[str, Any]) -> dict[str, Any]:
    """Make the event's signers never activate, so its lifecycle keeps running."""
    for email in emails(event):
        digisign.humans[email] = "ignore"
    return event


def registrations(digisign: ScriptedDigisign, event: dict[str, Any]) -> int:
    """How often the event's first signer was registered."""
    email = emails(event)[0]
    return sum(1 for c in digisign.called("register") if c.arg.registrant.email == email)


async def test_an_event_starts_a_lifecycle_and_answers_202_with_its_links(
    http: httpx.AsyncClient, dev: WorkflowEnvironment, digisign: ScriptedDigisign
) -> None:
    event = waiting(digisign, loan_event(2, sequence=True))
    document_id = event["document_id"]

    response = await http.post("/v1/loan-events", json=event)

    assert response.status_code == 202, response.text
    body = response.json()
    workflow_id = f"signing-{document_id}"
    assert body["workflow_id"] == workflow_id
    assert body["status_url"] == f"https://gateway.test/v1/signings/{document_id}"
    assert body["ui_url"] == f"http://localhost:8233/namespaces/default/workflows/{workflow_id}"
    assert body["created"] is True
    assert body["running"] is True
    assert body["execution_status"] == "running"
    description = await handle(dev.client, document_id).describe()
    assert description.status is WorkflowExecutionStatus.RUNNING
    assert description.run_id == body["run_id"]
    assert description.typed_search_attributes.get(names.LOAN_ID) == event["loan_id"]
    memo = await description.memo()
    assert set(memo[MEMO_KEY]["digests"]) >= {"loan_id", "signers", "document", "policy"}


async def test_the_same_event_twice_gives_the_same_lifecycle(
    http: httpx.AsyncClient, dev: WorkflowEnvironment, digisign: ScriptedDigisign
) -> None:
    event = waiting(digisign, loan_event())
    first = await http.post("/v1/loan-events", json=event)
    # The same meaning, written differently: e-mail and gender in other cases, a date
    # object key order changed. The LOS retrying with its own serializer is not a conflict.
    again = json.loads(json.dumps(event))
    again["signers"][0]["gender"] = "PEREMPUAN"
    again["signers"][0]["consent"] = {"terms_version": "tnc-v3", "given_at": "2026-11-01T02:00:00Z"}
    second = await http.post("/v1/loan-events", json=again)

    assert (first.status_code, second.status_code) == (202, 202), second.text
    assert second.json()["workflow_id"] == first.json()["workflow_id"]
    assert second.json()["run_id"] == first.json()["run_id"]
    assert first.json()["created"] is True
    assert second.json()["created"] is False
    await until_stage(dev.client, event["document_id"], lambda s: s.stage == "awaiting_activation")
    assert registrations(digisign, event) == 1


async def test_the_same_event_at_once_from_several_retries_starts_one_lifecycle(
    http: httpx.AsyncClient, dev: WorkflowEnvironment, digisign: ScriptedDigisign
) -> None:
    event = waiting(digisign, loan_event())

    responses = await asyncio.gather(*(http.post("/v1/loan-events", json=event) for _ in range(4)))

    assert [r.status_code for r in responses] == [202] * 4
    assert len({r.json()["run_id"] for r in responses}) == 1
    assert sum(r.json()["created"] for r in responses) == 1
    await until_stage(dev.client, event["document_id"], lambda s: s.stage == "awaiting_activation")
    assert registrations(digisign, event) == 1


async def test_a_different_event_for_the_same_document_is_409_naming_the_fields(
    http: httpx.AsyncClient, dev: WorkflowEnvironment, digisign: ScriptedDigisign
) -> None:
    event = waiting(digisign, loan_event())
    assert (await http.post("/v1/loan-events", json=event)).status_code == 202

    other = changed(event, ("signers", 0, "phone"), "081299998888")
    other["loan_id"] = "LOAN-OTHER"
    response = await http.post("/v1/loan-events", json=other)

    assert response.status_code == 409
    body = response.json()
    assert body["conflicting_fields"] == ["loan_id", "signers"]
    assert body["workflow_id"] == f"signing-{event['document_id']}"
    assert "081299998888" not in response.text
    memo = await (await handle(dev.client, event["document_id"]).describe()).memo()
    assert (
        memo[MEMO_KEY]["digests"]["loan_id"]
        == hashlib.sha256(json.dumps(event["loan_id"]).encode()).hexdigest()
    )


async def test_a_lifecycle_started_without_the_memo_is_compared_by_its_input(
    http: httpx.AsyncClient,
    dev: WorkflowEnvironment,
    digisign: ScriptedDigisign,
    config: GatewayConfig,
) -> None:
    event = waiting(digisign, loan_event())
    # Started by another tool: no intake memo, only the workflow input in history.
    await start_signing(
        dev.client, LoanEvent.model_validate(event).to_request(), task_queue=config.task_queue
    )

    same = await http.post("/v1/loan-events", json=event)
    other = await http.post("/v1/loan-events", json=changed(event, ("payment",), 2))

    assert same.status_code == 202, same.text
    assert same.json()["created"] is False
    assert other.status_code == 409
    assert other.json()["conflicting_fields"] == ["payment"]


async def test_a_finished_lifecycle_is_reported_and_never_started_again(
    http: httpx.AsyncClient, dev: WorkflowEnvironment, digisign: ScriptedDigisign
) -> None:
    event = loan_event()  # the scripted signer activates and signs at once
    assert (await http.post("/v1/loan-events", json=event)).status_code == 202
    lifecycle = handle(dev.client, event["document_id"])
    assert (await lifecycle.result()).status is OutcomeStatus.COMPLETED

    again = await http.post("/v1/loan-events", json=event)
    other = await http.post("/v1/loan-events", json=changed(event, ("document",), "s3://b/x.pdf"))

    assert again.status_code == 200, again.text
    assert again.json()["running"] is False
    assert again.json()["execution_status"] == "completed"
    assert again.json()["created"] is False
    assert other.status_code == 409
    assert other.json()["conflicting_fields"] == ["document"]
    runs = [w async for w in dev.client.list_workflows(f"WorkflowId = '{lifecycle.id}'")]
    assert len(runs) == 1
    assert registrations(digisign, event) == 1


INVALID_FIELDS = [
    pytest.param(("signers", 0, "nik"), BAD_NIK, ["body", "signers", 0, "nik"], id="nik"),
    pytest.param(("signers", 0, "phone"), "0999", ["body", "signers", 0, "phone"], id="phone"),
    pytest.param(("signers", 0, "name"), "R2-D2", ["body", "signers", 0, "name"], id="name"),
    pytest.param(
        ("signers", 0, "birth_date"), "31-02-1990", ["body", "signers", 0, "birth_date"], id="date"
    ),
    pytest.param(
        ("signers", 0, "selfie"), "C:\\selfie.jpg", ["body", "signers", 0, "selfie"], id="photo"
    ),
    pytest.param(
        ("signers", 0, "signatures", 0, "box", "urx"),
        10,
        ["body", "signers", 0, "signatures", 0, "box", "urx"],
        id="sign-box",
    ),
    pytest.param(("signers", 0, "consent"), ..., ["body", "signers", 0, "consent"], id="consent"),
    pytest.param(("document_id",), "has space", ["body", "document_id"], id="document-id"),
    pytest.param(
        ("policy",), {"retry_later_delay": 1}, ["body", "policy", "retry_later_delay"], id="policy"
    ),
]


@pytest.mark.parametrize(("path", "value", "loc"), INVALID_FIELDS)
async def test_an_invalid_field_is_422_naming_it_and_starts_nothing(
    http: httpx.AsyncClient,
    dev: WorkflowEnvironment,
    path: tuple[str | int, ...],
    value: Any,
    loc: list[str | int],
) -> None:
    event = changed(loan_event(), path, value)

    response = await http.post("/v1/loan-events", json=event)

    assert response.status_code == 422, response.text
    assert loc in [problem["loc"] for problem in response.json()["detail"]]
    assert not await exists(dev.client, event["document_id"])


async def test_every_bad_field_is_listed_and_no_value_is_echoed(
    http: httpx.AsyncClient, dev: WorkflowEnvironment
) -> None:
    event = loan_event(2)
    event["signers"][0]["nik"] = BAD_NIK
    event["signers"][1]["phone"] = "+1-555-0100"
    event["signers"][1]["email"] = "not-an-email"
    event["unexpected"] = "x"

    response = await http.post("/v1/loan-events", json=event)

    assert response.status_code == 422
    problems = response.json()["detail"]
    assert {(tuple(p["loc"]), p["type"]) for p in problems} == {
        (("body", "signers", 0, "nik"), "nik_format"),
        (("body", "signers", 1, "phone"), "phone_prefix"),
        (("body", "signers", 1, "email"), "email_format"),
        (("body", "unexpected"), "extra_forbidden"),
    }
    for value in (BAD_NIK, "+1-555-0100", "not-an-email"):
        assert value not in response.text
    assert all(set(p) == {"loc", "type", "msg"} for p in problems)
    assert not await exists(dev.client, event["document_id"])


@pytest.mark.parametrize(
    ("change", "loc", "kind"),
    [
        pytest.param(
            {"sequence_option": True}, ["body", "signers"], "signing_seq_missing", id="no-seq"
        ),
        pytest.param(
            {"meterai_positions": [{"page": 1, "llx": 0, "lly": 0, "urx": 10, "ury": 10}]},
            ["body", "document_type"],
            "document_type_missing",
            id="stamp-without-type",
        ),
    ],
)
async def test_cross_field_rules_are_reported_under_the_field_that_is_wrong(
    http: httpx.AsyncClient, change: dict[str, Any], loc: list[str], kind: str
) -> None:
    response = await http.post("/v1/loan-events", json=loan_event(2, **change))

    assert response.status_code == 422
    assert [(p["loc"], p["type"]) for p in response.json()["detail"]] == [(loc, kind)]


async def test_overlapping_boxes_and_shared_emails_are_refused(http: httpx.AsyncClient) -> None:
    event = loan_event(2)
    event["signers"][1]["signatures"] = event["signers"][0]["signatures"]
    overlapping = await http.post("/v1/loan-events", json=event)
    event = loan_event(2)
    event["signers"][1]["email"] = event["signers"][0]["email"].upper()
    shared = await http.post("/v1/loan-events", json=event)

    assert overlapping.status_code == shared.status_code == 422
    assert overlapping.json()["detail"][0]["type"] == "box_overlap"
    assert shared.json()["detail"][0]["type"] == "signer_email_duplicate"


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b"[]", b"null", b'"event"', b"\x80{}", b"\xff\xfe", b'{"loan_id": 1e999999}'],
    ids=["empty", "truncated", "array", "null", "string", "not-utf8", "utf16-bom", "huge-number"],
)
async def test_a_malformed_body_is_422_not_500(http: httpx.AsyncClient, body: bytes) -> None:
    response = await http.post(
        "/v1/loan-events", content=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422, response.text
    assert response.json()["detail"]


async def test_a_body_over_the_limit_is_413_once_authenticated(
    http: httpx.AsyncClient, anonymous: httpx.AsyncClient, gateway: str
) -> None:
    event = loan_event(branch="x" * 300_000)

    response = await http.post("/v1/loan-events", json=event)
    unauthenticated = await anonymous.post(f"{gateway}/v1/loan-events", json=event)

    assert response.status_code == 413
    assert unauthenticated.status_code == 401


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Basic {EVENT_TOKEN}"},
        {"Authorization": f"Bearer {EVENT_TOKEN}x"},
        {"Authorization": "Bearer"},
    ],
    ids=["none", "wrong", "basic", "longer", "empty"],
)
async def test_an_unauthenticated_event_is_401_and_changes_nothing(
    gateway: str, dev: WorkflowEnvironment, anonymous: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    event = loan_event()
    event["signers"][0]["nik"] = BAD_NIK  # invalid too: authentication comes first

    response = await anonymous.post(f"{gateway}/v1/loan-events", json=event, headers=headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert not await exists(dev.client, event["document_id"])


def signature(body: bytes, secret: str = HMAC_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def test_hmac_signed_events_are_accepted_and_unsigned_ones_are_401(
    hmac_gateway: str,
    dev: WorkflowEnvironment,
    digisign: ScriptedDigisign,
    anonymous: httpx.AsyncClient,
) -> None:
    event = waiting(digisign, loan_event())
    body = json.dumps(event).encode()
    url = f"{hmac_gateway}/v1/loan-events"
    json_type = {"Content-Type": "application/json"}
    tampered = body.replace(event["loan_id"].encode(), b"LOAN-EVIL")

    refused = [
        await anonymous.post(url, content=body, headers=json_type),
        await anonymous.post(
            url, content=body, headers={**json_type, "X-Signflow-Signature": signature(body, "x")}
        ),
        await anonymous.post(
            url, content=tampered, headers={**json_type, "X-Signflow-Signature": signature(body)}
        ),
        await anonymous.post(
            url,
            content=body,
            headers={**json_type, "X-Signflow-Signature": signature(body)[len("sha256=") :]},
        ),
        await anonymous.post(url, json=event, headers={"Authorization": f"Bearer {EVENT_TOKEN}"}),
    ]
    assert [r.status_code for r in refused] == [401] * 5
    assert not await exists(dev.client, event["document_id"])

    accepted = await anonymous.post(
        url, content=body, headers={**json_type, "X-Signflow-Signature": signature(body)}
    )
    assert accepted.status_code == 202, accepted.text

    status_path = f"/v1/signings/{event['document_id']}"
    got = await anonymous.get(
        f"{hmac_gateway}{status_path}",
        headers={"X-Signflow-Signature": signature(status_path.encode())},
    )
    replayed = await anonymous.get(
        f"{hmac_gateway}/v1/signings/doc-{tag()}",
        headers={"X-Signflow-Signature": signature(status_path.encode())},
    )
    assert got.status_code == 200, got.text
    assert replayed.status_code == 401


async def test_the_command_line_intake_is_the_same_intake(
    http: httpx.AsyncClient,
    dev: WorkflowEnvironment,
    digisign: ScriptedDigisign,
    config: GatewayConfig,
    tmp_path: Path,
) -> None:
    event = waiting(digisign, loan_event())
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))

    result = await start_from_file(dev.client, config, path)
    posted = await http.post("/v1/loan-events", json=event)

    assert result.created is True
    assert result.workflow_id == posted.json()["workflow_id"]
    assert posted.json()["created"] is False
    text = describe(result)
    assert result.workflow_id in text
    assert result.status_url in text
    assert result.ui_url in text

    path.write_text(json.dumps(changed(event, ("branch",), "Bandung")))
    with pytest.raises(IntakeConflict) as conflict:
        await start_from_file(dev.client, config, path)
    assert conflict.value.fields == ["branch"]

    path.write_text(json.dumps(changed(event, ("signers", 0, "nik"), BAD_NIK)))
    with pytest.raises(EventFileError) as invalid:
        await start_from_file(dev.client, config, path)
    assert "signers.0.nik" in str(invalid.value)
    assert BAD_NIK not in str(invalid.value)
    with pytest.raises(EventFileError, match="cannot read"):
        await start_from_file(dev.client, config, tmp_path / "missing.json")


async def test_the_documented_example_is_a_valid_event() -> None:
    event = LoanEvent.model_validate(EXAMPLE)

    request = event.to_request()

    assert request.document_id == EXAMPLE["document_id"]
    assert request.policy.signing_timeout.days == 14
    assert all(s.consent is not None for s in request.signers)
