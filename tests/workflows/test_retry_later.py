"""Digisign's `91`: a durable ten-minute timer, then the same step again, within limits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from digisign.endpoints import Endpoint
from tests.workflows.conftest import signing_request
from tests.workflows.fakes import retry_later
from workflows.models import OutcomeStatus, SigningPolicy

TEN_MINUTES = timedelta(minutes=10)


@pytest.mark.parametrize(
    ("activity_name", "endpoint"),
    [
        ("register", Endpoint.REGISTER),
        ("activation_link", Endpoint.ACTIVATION_LINK),
        ("send_document", Endpoint.SEND_DOCUMENT),
        ("sign_link", Endpoint.SIGN_LINK),
        ("download_signed", Endpoint.DOWNLOAD_BASE64),
    ],
)
async def test_result_91_waits_ten_minutes_then_calls_again(
    start: Any, activity_name: str, endpoint: Endpoint
) -> None:
    lifecycle = await start(signing_request(1), **{activity_name: [retry_later(endpoint)]})
    outcome = await lifecycle.handle.result()

    assert outcome.status is OutcomeStatus.COMPLETED
    # Then a third call for activation and sign links: the redirect's confirmation.
    first, second = lifecycle.digisign.called(activity_name)[:2]
    waited = second.scheduled - first.scheduled
    assert TEN_MINUTES <= waited < TEN_MINUTES + timedelta(seconds=5)
    assert second.attempt == 1  # a new call after the timer, not an activity retry
    assert (await lifecycle.status()).retry_later_waits == 1


async def test_a_send_after_91_checks_before_sending_again(start: Any) -> None:
    lifecycle = await start(signing_request(1), send_document=[retry_later(Endpoint.SEND_DOCUMENT)])
    assert (await lifecycle.handle.result()).status is OutcomeStatus.COMPLETED
    first, second = lifecycle.digisign.called("send_document")
    assert (first.arg.reconcile, second.arg.reconcile) == (False, True)


async def test_91_until_the_attempt_limit_ends_as_digisign_unavailable(start: Any) -> None:
    policy = SigningPolicy(retry_later_max_attempts=3)
    lifecycle = await start(
        signing_request(1, policy=policy), register=[retry_later(Endpoint.REGISTER)] * 10
    )
    outcome = await lifecycle.handle.result()

    assert outcome.status is OutcomeStatus.DIGISIGN_UNAVAILABLE
    assert outcome.reason == "RetryLater"
    assert outcome.signer_index == 0
    calls = lifecycle.digisign.called("register")
    assert len(calls) == 3
    assert calls[2].scheduled - calls[0].scheduled >= 2 * TEN_MINUTES


async def test_91_past_the_deadline_ends_as_digisign_unavailable(start: Any) -> None:
    policy = SigningPolicy(retry_later_deadline=timedelta(minutes=25))
    lifecycle = await start(
        signing_request(1, policy=policy), send_document=[retry_later(Endpoint.SEND_DOCUMENT)] * 10
    )
    outcome = await lifecycle.handle.result()
    assert outcome.status is OutcomeStatus.DIGISIGN_UNAVAILABLE
    assert len(lifecycle.digisign.called("send_document")) == 3  # t=0, 10, 20; 30 > 25


async def test_the_91_delay_is_a_setting(start: Any) -> None:
    policy = SigningPolicy(retry_later_delay=timedelta(seconds=3))
    lifecycle = await start(
        signing_request(1, policy=policy), register=[retry_later(Endpoint.REGISTER)]
    )
    assert (await lifecycle.handle.result()).status is OutcomeStatus.COMPLETED
    first, second = lifecycle.digisign.called("register")
    assert timedelta(seconds=3) <= second.scheduled - first.scheduled < timedelta(seconds=8)
