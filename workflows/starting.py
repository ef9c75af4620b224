"""Starting a lifecycle from outside (the gateway, the CLI): once per document.

Not imported by the workflow itself; this is client-side code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)

from workflows import names
from workflows.models import SigningRequest, Stage
from workflows.signing import SigningWorkflow


def summary(request: SigningRequest) -> str:
    """The one-line summary the Temporal UI shows for a lifecycle (no personal data)."""
    signers = len(request.signers)
    return (
        f"Loan {request.loan_id}: sign document {request.document_id} "
        f"({signers} signer{'s' if signers != 1 else ''})"
    )


def details(request: SigningRequest) -> str:
    """The fixed details shown under the summary (no personal data)."""
    order = "in signing_seq order" if request.sequence_option else "in any order"
    lines = [
        f"**Loan:** {request.loan_id}",
        f"**Document:** {request.document_id}",
        f"**Signers:** {len(request.signers)}, signing {order}",
        f"**Viewers:** {len(request.viewers)}",
        f"**Payment:** {request.payment.name.lower().replace('_', ' ')}",
        f"**e-Meterai:** {len(request.meterai_positions)}",
        f"**LOS callback:** {'yes' if request.los_callback_url else 'no'}",
    ]
    return "\n".join(lines)


async def start_signing(
    client: Client,
    request: SigningRequest,
    *,
    task_queue: str = names.TASK_QUEUE,
    memo: Mapping[str, Any] | None = None,
) -> WorkflowHandle[SigningWorkflow, Any]:
    """Start the lifecycle for `request`'s document, or return the one already running.

    The workflow id is `signing-<document_id>`: starting the same document twice
    returns the running lifecycle (USE_EXISTING); a finished one is never started
    again silently (REJECT_DUPLICATE raises `WorkflowAlreadyStartedError`).

    `memo` is stored with a lifecycle this call starts (never with an existing one);
    the gateway keeps digests of the request there to tell a repeated event from a
    conflicting one. Memos go through the payload codec, like every payload.
    """
    return await client.start_workflow(
        SigningWorkflow.run,
        request,
        id=names.workflow_id(request.document_id),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(names.LOAN_ID, request.loan_id),
                SearchAttributePair(names.DOCUMENT_ID, request.document_id),
                SearchAttributePair(names.SIGNING_STAGE, Stage.REGISTERING.value),
            ]
        ),
        static_summary=summary(request),
        static_details=details(request),
        memo=dict(memo) if memo is not None else None,
    )
