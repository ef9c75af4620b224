"""Timeouts and retry policies of every activity call, in one place (STYLE.md 7).

Digisign requires clients to wait at least 95 s for registration and sending and
30 s for the rest (`digisign.endpoints`); activity timeouts leave room above that.
Retries here are for transient failures only (network, 5xx, unreadable answers):
`91` is never retried by these policies — its ten-minute wait is a durable timer in
the workflow — and permanent errors are non-retryable `ApplicationError`s.
Every call is bounded (`schedule_to_close_timeout`), so no lifecycle hangs on an
activity forever: when the bound passes, the lifecycle ends as `digisign_unavailable`.

No heartbeat timeouts, on purpose. Registration and sending are charged; a retry must
never overlap an attempt that may still reach Digisign. `start_to_close_timeout`
(120 s) outlasts the client's own 95 s, so when the server retries, the first attempt
is over. A heartbeat timeout would retry a slow but live attempt (a loaded worker's
heartbeats are late) while its request is still in flight, and Digisign could charge
both. The price is that a killed worker's calls are retried after 120 s, not 30 s.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

_TRANSIENT_RETRIES = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=2),
)

DIGISIGN_SLOW = workflow.ActivityConfig(
    start_to_close_timeout=timedelta(seconds=120),
    schedule_to_close_timeout=timedelta(hours=1),
    retry_policy=_TRANSIENT_RETRIES,
)
"""Registration and send-document: Digisign may take 95 s to answer."""

DIGISIGN_FAST = workflow.ActivityConfig(
    start_to_close_timeout=timedelta(seconds=45),
    schedule_to_close_timeout=timedelta(hours=1),
    retry_policy=_TRANSIENT_RETRIES,
)
"""Links and contact changes: Digisign answers within 30 s."""

DOWNLOAD = workflow.ActivityConfig(
    start_to_close_timeout=timedelta(minutes=3),
    schedule_to_close_timeout=timedelta(hours=2),
    retry_policy=RetryPolicy(
        initial_interval=timedelta(seconds=15),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(minutes=5),
    ),
)
"""Downloading the signed PDF: two calls, a blob write, and Digisign may lag behind
the last signature (`DocumentUnchanged` is retried)."""

LOS_NOTIFY = workflow.ActivityConfig(
    start_to_close_timeout=timedelta(seconds=20),
    schedule_to_close_timeout=timedelta(minutes=15),
    retry_policy=RetryPolicy(
        initial_interval=timedelta(seconds=2),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(minutes=1),
        non_retryable_error_types=["LosRefused"],
    ),
)
"""Notifying the LOS: best effort, a lifecycle never fails because the LOS is down."""

ACTIVATION_LINK_TTL = timedelta(minutes=7)
"""Digisign's activation links expire 7 minutes after they are made."""

SIGN_LINK_TTL = timedelta(minutes=20)
"""Digisign's sign links expire 20 minutes after they are made."""

DEFAULT_ACTIVATION_WINDOW = timedelta(days=30)
"""How long Digisign keeps a registration waiting for activation, when it doesn't say."""

NOT_YET_THEIR_TURN_DELAY = timedelta(seconds=30)
"""Wait before asking again when Digisign has not yet seen the previous signature."""
