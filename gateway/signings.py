"""The signings API: a lifecycle's state, and the actions a lender may take on it.

    GET  /v1/signings/{document_id}                        the `status` query
    POST /v1/signings/{document_id}/activation-link        update `fresh_activation_link`
    POST /v1/signings/{document_id}/sign-link              update `fresh_sign_link`
    POST /v1/signings/{document_id}/contact                update `change_contact`
    POST /v1/signings/{document_id}/certificate-expired    update `report_certificate_expired`
    POST /v1/signings/{document_id}/cancel                 update `cancel`

Same authentication as the loan events. Each action is a workflow update, so the
lifecycle itself decides (its validators) and the caller gets its answer:

    200  the update's result (a fresh link, or an acknowledgement)
    202  accepted, but the lifecycle needs longer (Digisign asked it to wait): the
         result reaches the LOS callback as every link does
    404  no lifecycle for this document
    409  the lifecycle refuses: validator rejection (not a signer, wrong stage, ended),
         or the handler's own refusal (`AlreadyActive`, `AlreadySigned`)
    422  a malformed body or document id
    502  the lifecycle tried and Digisign refused
    503  Temporal unreachable or too slow
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Path
from fastapi.params import Depends
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from temporalio.exceptions import ApplicationError

from digisign.fields import DocumentId
from gateway.config import GatewayConfig
from gateway.problems import Problem, ValidationProblem
from gateway.temporal import deadline, is_not_found, lifecycle_id, ui_url
from workflows import names
from workflows.models import (
    Ack,
    CancelRequest,
    ContactChange,
    LinkRequest,
    LinkResponse,
    SigningStatus,
)

logger = logging.getLogger("signflow.gateway.signings")

R = TypeVar("R", bound=BaseModel)

_REFUSALS = frozenset({"ValueError", "AlreadyActive", "AlreadySigned"})
"""ApplicationError types that mean "the lifecycle says no" rather than "it failed":
update validators raise ValueError (the SDK names the failure after the class)."""


class SigningView(SigningStatus):
    """A lifecycle's state: stage, each signer's progress and links, the outcome."""

    workflow_id: str
    ui_url: str


class UpdatePending(BaseModel):
    """The lifecycle accepted the action but has not finished it yet."""

    detail: str
    update_id: str = Field(description="The Temporal update id, for the operator.")


DocumentIdPath = Annotated[
    DocumentId, Path(description="The document id the lifecycle was started with.")
]


class _Refused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail

    def response(self) -> JSONResponse:
        return JSONResponse(Problem(detail=self.detail).model_dump(), status_code=self.status)


def _responses(ok: type[BaseModel], *, action: bool) -> dict[int | str, dict[str, Any]]:
    responses: dict[int | str, dict[str, Any]] = {
        200: {"model": ok},
        401: {"model": Problem, "description": "Missing or wrong authentication."},
        404: {"model": Problem, "description": "No lifecycle for this document."},
        422: {"model": ValidationProblem, "description": "Malformed request."},
        503: {"model": Problem, "description": "Temporal unreachable; retry later."},
    }
    if action:
        responses |= {
            202: {"model": UpdatePending, "description": "Accepted, still in progress."},
            409: {"model": Problem, "description": "The lifecycle refuses the action."},
            413: {"model": Problem, "description": "Body too large."},
            502: {"model": Problem, "description": "Digisign refused the action."},
        }
    return responses


class Signings:
    """Queries and updates of lifecycles, with their failures as HTTP answers."""

    def __init__(self, config: GatewayConfig, client: Client) -> None:
        self._config = config
        self._client = client

    def _handle(self, document_id: str) -> WorkflowHandle[Any, Any]:
        return self._client.get_workflow_handle(lifecycle_id(document_id))

    async def status(self, document_id: str) -> SigningView:
        """The `status` query, with the workflow id and Temporal UI link."""
        handle = self._handle(document_id)
        try:
            async with deadline(self._config, "querying the lifecycle"):
                status: SigningStatus = await handle.query(
                    names.QUERY_STATUS, result_type=SigningStatus
                )
        except Exception as exc:
            if is_not_found(exc):
                raise _Refused(404, f"no lifecycle for document {document_id}") from None
            raise
        return SigningView(
            **dict(status), workflow_id=handle.id, ui_url=ui_url(self._config, handle.id)
        )

    async def update(
        self, document_id: str, update: str, arg: BaseModel, result_type: type[R]
    ) -> R | UpdatePending:
        """Run a workflow update; its refusals become `_Refused` (409, 404, 502)."""
        handle = self._handle(document_id)
        try:
            async with deadline(self._config, f"update {update}"):
                pending = await handle.start_update(
                    update,
                    arg,
                    wait_for_stage=WorkflowUpdateStage.ACCEPTED,
                    result_type=result_type,
                )
        except WorkflowUpdateFailedError as failed:
            raise _refusal(update, failed) from None
        except Exception as exc:
            if is_not_found(exc):
                raise await self._missing_or_ended(handle, document_id) from None
            raise
        try:
            async with asyncio.timeout(self._config.update_wait_seconds):
                result: R = await pending.result()
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            # The SDK turns our timeout's cancellation into its own error type.
            logger.info("update %s of %s still running: answered 202", update, handle.id)
            return UpdatePending(
                detail="accepted; the lifecycle will publish the result to the LOS callback",
                update_id=pending.id,
            )
        except WorkflowUpdateFailedError as failed:
            raise _refusal(update, failed) from None
        return result

    async def _missing_or_ended(
        self, handle: WorkflowHandle[Any, Any], document_id: str
    ) -> _Refused:
        # Temporal answers NOT_FOUND both for "no such workflow" and for an update
        # to one that has completed: tell them apart.
        try:
            async with deadline(self._config, "describing the lifecycle"):
                await handle.describe()
        except Exception as exc:
            if is_not_found(exc):
                return _Refused(404, f"no lifecycle for document {document_id}")
            raise
        return _Refused(409, "the lifecycle has ended")


def _refusal(update: str, failed: WorkflowUpdateFailedError) -> _Refused:
    cause = failed.cause
    kind = cause.type if isinstance(cause, ApplicationError) else type(cause).__name__
    if isinstance(cause, ApplicationError) and kind in _REFUSALS:
        # The workflow's messages name fields and stages, never values.
        logger.info("update %s refused: %s", update, kind)
        return _Refused(409, cause.message)
    logger.warning("update %s failed: %s", update, kind)
    return _Refused(502, f"the lifecycle could not complete the action ({kind})")


def signings_router(
    config: GatewayConfig,
    client: Client,
    *,
    route_class: type[APIRoute],
    security: Depends,
) -> APIRouter:
    """The signings API, authenticated by `route_class` (as the loan events are)."""
    signings = Signings(config, client)
    router = APIRouter(
        prefix="/v1/signings",
        route_class=route_class,
        dependencies=[security],
        tags=["signings"],
    )

    async def act(
        document_id: str, update: str, arg: BaseModel, result_type: type[R]
    ) -> R | UpdatePending | JSONResponse:
        try:
            result = await signings.update(document_id, update, arg, result_type)
        except _Refused as refused:
            return refused.response()
        if isinstance(result, UpdatePending):
            return JSONResponse(result.model_dump(), status_code=202)
        return result

    @router.get(
        "/{document_id:path}",
        response_model=SigningView,
        responses=_responses(SigningView, action=False),
        summary="A lifecycle's state",
    )
    async def get_signing(document_id: DocumentIdPath) -> SigningView | JSONResponse:
        """Stage, each signer's stage and current links, `91` waits, and the outcome."""
        try:
            return await signings.status(document_id)
        except _Refused as refused:
            return refused.response()

    @router.post(
        "/{document_id:path}/activation-link",
        response_model=LinkResponse,
        responses=_responses(LinkResponse, action=True),
        summary="Issue a fresh activation link",
    )
    async def fresh_activation_link(
        document_id: DocumentIdPath, body: LinkRequest
    ) -> LinkResponse | UpdatePending | JSONResponse:
        """A new single-use activation link (7 minutes) for a signer awaiting activation."""
        return await act(document_id, names.UPDATE_FRESH_ACTIVATION_LINK, body, LinkResponse)

    @router.post(
        "/{document_id:path}/sign-link",
        response_model=LinkResponse,
        responses=_responses(LinkResponse, action=True),
        summary="Issue a fresh sign link",
    )
    async def fresh_sign_link(
        document_id: DocumentIdPath, body: LinkRequest
    ) -> LinkResponse | UpdatePending | JSONResponse:
        """A new single-use sign link (20 minutes) for the signer whose turn it is."""
        return await act(document_id, names.UPDATE_FRESH_SIGN_LINK, body, LinkResponse)

    @router.post(
        "/{document_id:path}/contact",
        response_model=LinkResponse,
        responses=_responses(LinkResponse, action=True),
        summary="Correct a signer's e-mail or phone before activation",
    )
    async def change_contact(
        document_id: DocumentIdPath, body: ContactChange
    ) -> LinkResponse | UpdatePending | JSONResponse:
        """Digisign's UPDATE-EP, then a fresh activation link to the corrected contact."""
        return await act(document_id, names.UPDATE_CHANGE_CONTACT, body, LinkResponse)

    @router.post(
        "/{document_id:path}/certificate-expired",
        response_model=Ack,
        responses=_responses(Ack, action=True),
        summary="Report that a signer's certificate expired",
    )
    async def certificate_expired(
        document_id: DocumentIdPath, body: LinkRequest
    ) -> Ack | UpdatePending | JSONResponse:
        """The signer is registered again before their next signing step."""
        return await act(document_id, names.UPDATE_REPORT_CERTIFICATE_EXPIRED, body, Ack)

    @router.post(
        "/{document_id:path}/cancel",
        response_model=Ack,
        responses=_responses(Ack, action=True),
        summary="Cancel the lifecycle",
    )
    async def cancel(
        document_id: DocumentIdPath,
        body: Annotated[CancelRequest | None, Body()] = None,
    ) -> Ack | UpdatePending | JSONResponse:
        """End the lifecycle as `cancelled` (the body and its `reason` are optional)."""
        return await act(document_id, names.UPDATE_CANCEL, body or CancelRequest(), Ack)

    return router
