"""`signflow start event.json`: the loan-event intake from the command line.

The same intake as `POST /v1/loan-events` (gateway.intake), for operators and
scripts: the file holds one loan event as JSON. The command line itself lives in
`workers/cli.py`; it calls `start_from_file` and prints the result.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError
from temporalio.client import Client

from gateway.config import GatewayConfig
from gateway.events import LoanEvent
from gateway.intake import IntakeResult, intake
from gateway.problems import field_problems


class EventFileError(ValueError):
    """The file cannot be read or is not a valid loan event.

    The message names the file and every bad field with its rule, never a value.
    """


async def start_from_file(
    client: Client, config: GatewayConfig, path: str | Path, *, out: TextIO | None = None
) -> IntakeResult:
    """Start the lifecycle of the loan event in `path` (or find the one it has).

    Args:
        client: the Temporal client.
        config: the gateway's configuration (task queue, URLs).
        path: a JSON file holding one loan event.
        out: where to print the workflow id, status URL and Temporal UI link, if anywhere.

    Returns:
        The lifecycle, as `POST /v1/loan-events` would answer it.

    Raises:
        EventFileError: unreadable file, not JSON, or an invalid event.
        gateway.intake.IntakeConflict: the document's lifecycle came from another event.
        gateway.temporal.TemporalUnavailable: Temporal did not answer in time.
    """
    path = Path(path)
    try:
        raw = await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        raise EventFileError(f"{path}: cannot read the file ({exc.strerror})") from None
    try:
        event = LoanEvent.model_validate_json(raw)
    except ValidationError as exc:
        problems = field_problems(exc.errors(include_url=False, include_input=False))
        listed = "; ".join(f"{'.'.join(map(str, p.loc)) or 'event'}: {p.msg}" for p in problems)
        raise EventFileError(f"{path}: not a valid loan event: {listed}") from None
    result = await intake(client, config, event)
    if out is not None:
        print(describe(result), file=out)
    return result


def describe(result: IntakeResult) -> str:
    """The result for a person: what happened, and where to look."""
    if result.created:
        what = "started"
    elif result.running:
        what = "already running (same event)"
    else:
        what = f"already finished ({result.execution_status}); not started again"
    return "\n".join(
        [
            f"lifecycle {result.workflow_id}: {what}",
            f"  status:      {result.status_url}",
            f"  Temporal UI: {result.ui_url}",
        ]
    )
