"""Telling the loan-origination system (LOS) what happened: links to show, outcomes.

Each notification is a JSON POST to the LOS callback URL, signed with HMAC-SHA256
over the body (`X-Signflow-Signature: sha256=<hex>`) when a secret is configured,
so the LOS can tell signflow's calls from forgeries.
"""

from __future__ import annotations

import hashlib
import hmac

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.models import NotifyInput

SIGNATURE_HEADER = "X-Signflow-Signature"
LOS_TIMEOUT = httpx.Timeout(10.0)


class LosActivities:
    """Notifications to the LOS.

    Args:
        http: the shared HTTP client.
        secret: the HMAC key shared with the LOS, or None to send unsigned.
    """

    def __init__(self, http: httpx.AsyncClient, secret: bytes | None = None) -> None:
        self._http = http
        self._secret = secret

    @activity.defn(name="los.notify")
    async def notify(self, data: NotifyInput) -> None:
        """POST one event to the LOS callback URL.

        A 3xx or 4xx answer is final (the LOS refuses this event: retrying will not help);
        network failures and 5xx answers are retried by the activity's policy.
        """
        body = data.model_dump_json(exclude={"url"}, exclude_none=True).encode()
        headers = {"Content-Type": "application/json"}
        if self._secret is not None:
            digest = hmac.new(self._secret, body, hashlib.sha256).hexdigest()
            headers[SIGNATURE_HEADER] = f"sha256={digest}"
        try:
            response = await self._http.post(
                data.url, content=body, headers=headers, timeout=LOS_TIMEOUT
            )
        except httpx.HTTPError as exc:
            raise ApplicationError(
                f"LOS unreachable ({exc.__class__.__name__})", type="LosUnreachable"
            ) from None
        # A 3xx counts as a refusal too: redirects are not followed (the body carries
        # a signed link for this host only), so the event was not delivered.
        if 300 <= response.status_code < 500:
            raise ApplicationError(
                f"LOS refused the {data.event} event with HTTP {response.status_code}",
                type="LosRefused",
                non_retryable=True,
            )
        if response.status_code >= 500:
            raise ApplicationError(
                f"LOS failed with HTTP {response.status_code}", type="LosUnreachable"
            )
