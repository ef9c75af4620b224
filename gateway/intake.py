"""Loan-event intake: one lifecycle per document, started once, never twice.

Used by `POST /v1/loan-events` and by `signflow start event.json` alike.

Idempotency rests on the workflow id (`signing-<document_id>`) and on a fingerprint
of what was asked:

- the start stores in the workflow memo a SHA-256 digest of each top-level field of
  the request (and a random intake id, which tells this call whether it was the one
  that started the lifecycle); the memo goes through the payload codec;
- a start that finds a running lifecycle gets it back (`USE_EXISTING`); one that
  finds a finished lifecycle is refused by Temporal (`REJECT_DUPLICATE`), and the
  finished lifecycle is reported, never restarted;
- either way the stored digests are compared with this request's: equal → the same
  lifecycle again; different → `IntakeConflict` naming the fields that differ.

Lifecycles started without the memo (by other tools) are compared through their
recorded input instead: the first event of their history.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Response
from fastapi.params import Depends
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field, ValidationError
from pydantic_core import to_jsonable_python
from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowHandle,
)
from temporalio.exceptions import WorkflowAlreadyStartedError

from gateway.config import GatewayConfig
from gateway.events import LoanEvent
from gateway.problems import (
    ConflictProblem,
    FieldProblem,
    Problem,
    ValidationProblem,
    field_problems,
)
from gateway.temporal import deadline, lifecycle_id, rpc_timeout, status_url, ui_url
from workflows.models import SigningRequest
from workflows.starting import start_signing

logger = logging.getLogger("signflow.gateway.intake")

MEMO_KEY = "signflow-intake"
"""The memo entry holding the request's field digests and the starting intake's id."""

DIGEST_VERSION = 1


class IntakeResult(BaseModel):
    """The lifecycle an event started (or had already started)."""

    workflow_id: str = Field(examples=["signing-PK-000123"])
    run_id: str
    document_id: str
    status_url: str = Field(examples=["https://sign.lender.example/v1/signings/PK-000123"])
    """Where the lifecycle's state can be read (`GET`, same authentication)."""
    ui_url: str = Field(
        examples=["http://localhost:8233/namespaces/default/workflows/signing-PK-000123"]
    )
    """The lifecycle in the Temporal UI."""
    created: bool
    """True when this event started the lifecycle; false when it already existed."""
    running: bool
    """False when the lifecycle has already finished (it is never started again)."""
    execution_status: str = Field(examples=["running"])
    """Temporal's status of the lifecycle: running, completed, failed, ..."""


class IntakeConflict(Exception):
    """The document already has a lifecycle, started from a different event.

    Attributes:
        workflow_id: the existing lifecycle.
        fields: the top-level fields whose values differ (names only).
    """

    def __init__(self, workflow_id: str, fields: list[str]) -> None:
        super().__init__(
            f"{workflow_id} was started from a different event (fields: {', '.join(fields)})"
        )
        self.workflow_id = workflow_id
        self.fields = fields


class EventInvalid(ValueError):
    """The event passed its own validation but not the workflow's (the problems, located)."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, p.loc))}: {p.msg}" for p in problems))
        self.problems = problems


def request_digests(request: SigningRequest) -> dict[str, str]:
    """A SHA-256 of each top-level field of `request`, over its canonical JSON.

    Canonical: validated and normalised values (gender in Digisign's casing, enums by
    value, instants in UTC), keys sorted, no whitespace. So two events that mean the
    same thing have the same digests, however the LOS serialised them.
    """
    dumped = to_jsonable_python(_in_utc(request.model_dump()))
    return {
        name: hashlib.sha256(
            json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        ).hexdigest()
        for name, value in dumped.items()
    }


def _in_utc(value: Any) -> Any:
    """`value` with every timezone-aware datetime moved to UTC (the same instant)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    if isinstance(value, dict):
        return {key: _in_utc(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_in_utc(item) for item in value]
    return value


async def intake(client: Client, config: GatewayConfig, event: LoanEvent) -> IntakeResult:
    """Start the lifecycle for `event`'s document, or find the one it already has.

    Args:
        client: the Temporal client.
        config: task queue, URLs, timeouts.
        event: the validated loan event.

    Returns:
        The lifecycle: `created` if this call started it, `running` false if it
        had already finished (it is not started again).

    Raises:
        IntakeConflict: the document's lifecycle was started from a different event.
        EventInvalid: the event does not make a valid workflow input.
        TemporalUnavailable: Temporal did not answer in time.
        temporalio.service.RPCError: Temporal refused for another reason.
    """
    try:
        request = event.to_request()
        policy = request.policy.model_copy(update={"retry_later_delay": config.retry_later_delay})
        request = request.model_copy(update={"policy": policy})
    except ValidationError as exc:
        raise EventInvalid(
            field_problems(exc.errors(include_url=False, include_input=False))
        ) from None
    digests = request_digests(request)
    intake_id = uuid.uuid4().hex
    memo = {MEMO_KEY: {"version": DIGEST_VERSION, "intake": intake_id, "digests": digests}}
    workflow_id = lifecycle_id(request.document_id)
    handle: WorkflowHandle[Any, Any]
    async with deadline(config, "starting the lifecycle"):
        try:
            handle = await start_signing(client, request, task_queue=config.task_queue, memo=memo)
        except WorkflowAlreadyStartedError:
            # Finished, and REJECT_DUPLICATE: report it, never start it again.
            handle = client.get_workflow_handle(workflow_id)
    async with deadline(config, "describing the lifecycle"):
        description = await handle.describe(rpc_timeout=rpc_timeout(config))
        stored = await _stored(client, config, description)
    recorded = stored.get("digests")
    theirs: Mapping[str, Any] = recorded if isinstance(recorded, Mapping) else {}
    conflicts = sorted(
        name for name in digests.keys() | theirs.keys() if digests.get(name) != theirs.get(name)
    )
    if conflicts:
        logger.warning(
            "loan event conflicts with lifecycle %s on %s", workflow_id, ", ".join(conflicts)
        )
        raise IntakeConflict(workflow_id, conflicts)
    status = description.status or WorkflowExecutionStatus.RUNNING
    result = IntakeResult(
        workflow_id=workflow_id,
        run_id=description.run_id,
        document_id=request.document_id,
        status_url=status_url(config, request.document_id),
        ui_url=ui_url(config, workflow_id),
        created=stored.get("intake") == intake_id,
        running=status is WorkflowExecutionStatus.RUNNING,
        execution_status=status.name.lower(),
    )
    logger.info(
        "loan event for loan %s: lifecycle %s %s",
        request.loan_id,
        workflow_id,
        "started" if result.created else f"already {result.execution_status}",
    )
    return result


async def _stored(
    client: Client, config: GatewayConfig, description: WorkflowExecutionDescription
) -> Mapping[str, Any]:
    """The intake memo of the lifecycle, or one rebuilt from its recorded input."""
    memo = await description.memo()
    entry = memo.get(MEMO_KEY)
    if isinstance(entry, Mapping) and isinstance(entry.get("digests"), Mapping):
        return entry
    handle = client.get_workflow_handle(description.id, run_id=description.run_id)
    async for first in handle.fetch_history_events(page_size=1, rpc_timeout=rpc_timeout(config)):
        payloads = first.workflow_execution_started_event_attributes.input.payloads
        try:
            [request] = await client.data_converter.decode(payloads, [SigningRequest])
        except Exception:  # any undecodable input is "not comparable"
            break
        if isinstance(request, SigningRequest):
            return {"digests": request_digests(request)}
        break
    # Nothing to compare with: every field counts as different.
    return {"digests": {}}


def loan_events_router(
    config: GatewayConfig,
    client: Client,
    *,
    route_class: type[APIRoute],
    security: Depends,
) -> APIRouter:
    """`POST /v1/loan-events`, authenticated by `route_class`.

    Args:
        config: the gateway's configuration.
        client: the Temporal client.
        route_class: the authenticating route class (`gateway.auth.authenticated_route`).
        security: the dependency documenting the scheme in OpenAPI.
    """
    router = APIRouter(route_class=route_class, dependencies=[security], tags=["loan events"])

    @router.post(
        "/v1/loan-events",
        status_code=202,
        response_model=IntakeResult,
        summary="Start the signing lifecycle of an approved loan",
        responses={
            200: {"model": IntakeResult, "description": "The lifecycle had already finished."},
            202: {"description": "Started, or already running (same event)."},
            401: {"model": Problem, "description": "Missing or wrong authentication."},
            409: {"model": ConflictProblem, "description": "A different event, same document."},
            413: {"model": Problem, "description": "Body too large."},
            422: {"model": ValidationProblem, "description": "Malformed or invalid event."},
            503: {"model": Problem, "description": "Temporal unreachable; retry later."},
        },
    )
    async def post_loan_event(event: LoanEvent, response: Response) -> IntakeResult | Response:
        """Start the document's lifecycle: 202 with its id, status URL and Temporal UI link.

        Idempotent on `document_id`: the same event again answers the same lifecycle
        (202 while it runs, 200 once finished: it is never started again); a different
        event for the same document is a 409 naming the fields that differ.
        """
        try:
            result = await intake(client, config, event)
        except IntakeConflict as conflict:
            problem = ConflictProblem(
                detail=(
                    f"document {event.document_id} already has a lifecycle started from a "
                    "different event"
                ),
                workflow_id=conflict.workflow_id,
                conflicting_fields=conflict.fields,
            )
            return JSONResponse(problem.model_dump(), status_code=409)
        except EventInvalid as invalid:
            located = [p.model_copy(update={"loc": ["body", *p.loc]}) for p in invalid.problems]
            body = ValidationProblem(detail=located)
            return JSONResponse(body.model_dump(), status_code=422)
        if not result.running:
            response.status_code = 200
        return result

    return router
