"""Small helpers for talking to Temporal from the edge: links, timeouts, failure kinds."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import quote

from temporalio.client import RPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

from gateway.config import GatewayConfig
from workflows import names

_UNAVAILABLE = frozenset(
    {
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.DEADLINE_EXCEEDED,
        RPCStatusCode.CANCELLED,
        RPCStatusCode.RESOURCE_EXHAUSTED,
        RPCStatusCode.ABORTED,
        RPCStatusCode.INTERNAL,
        RPCStatusCode.UNKNOWN,
    }
)


class TemporalUnavailable(Exception):
    """Temporal (or the workers answering queries) could not be reached in time.

    The message says what was attempted, never what was sent.
    """


def rpc_timeout(config: GatewayConfig) -> timedelta:
    """The deadline of one call to Temporal."""
    return timedelta(seconds=config.temporal_timeout_seconds)


@contextlib.asynccontextmanager
async def deadline(config: GatewayConfig, what: str) -> AsyncIterator[None]:
    """Bound a conversation with Temporal; past the deadline, `TemporalUnavailable`.

    Args:
        config: the deadline (`temporal_timeout_seconds`).
        what: the step, for the error message ("starting the lifecycle").
    """
    try:
        async with asyncio.timeout(config.temporal_timeout_seconds):
            yield
    except TimeoutError:
        raise TemporalUnavailable(f"Temporal did not answer in time ({what})") from None


def is_unavailable(exc: BaseException) -> bool:
    """Whether `exc` means "Temporal could not be reached or did not answer in time".

    A lazily connected client that cannot connect raises a plain `RuntimeError`
    ("Failed client connect"), not an `RPCError`.
    """
    if isinstance(exc, RPCError):
        return exc.status in _UNAVAILABLE
    if isinstance(exc, RPCTimeoutOrCancelledError | TimeoutError | TemporalUnavailable):
        return True
    return isinstance(exc, RuntimeError) and "client connect" in str(exc).lower()


def is_not_found(exc: BaseException) -> bool:
    """Whether `exc` is Temporal's "no such workflow (or run)"."""
    return isinstance(exc, RPCError) and exc.status is RPCStatusCode.NOT_FOUND


def status_url(config: GatewayConfig, document_id: str) -> str:
    """The gateway URL of a lifecycle's status (`GET /v1/signings/{document_id}`)."""
    return f"{config.public_url}/v1/signings/{quote(document_id, safe='')}"


def ui_url(config: GatewayConfig, workflow_id: str) -> str:
    """The Temporal UI page of a workflow."""
    return (
        f"{config.temporal_ui_url}/namespaces/{quote(config.namespace, safe='')}"
        f"/workflows/{quote(workflow_id, safe='')}"
    )


def lifecycle_id(document_id: str) -> str:
    """The workflow id of a document's lifecycle."""
    return names.workflow_id(document_id)
