"""Hypothesis against the running gateway: arbitrary input never makes a 5xx or a signal."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote, unquote

import httpx
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from temporalio.testing import WorkflowEnvironment

from tests.gateway.support import (
    EVENT_TOKEN,
    activation_msg,
    emails,
    exists,
    handle,
    loan_event,
    sign_msg,
    tag,
    until_stage,
)
from tests.workflows.fakes import ScriptedDigisign
from workflows.models import SignerStage

pytestmark = pytest.mark.asyncio(loop_scope="session")

FUZZ = settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="


def _base64_of(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _mutated(msg: str) -> st.SearchStrategy[str]:
    """`msg` with one character replaced by a base64 character (tampering)."""
    return st.tuples(st.integers(0, len(msg) - 1), st.sampled_from(B64)).map(
        lambda change: msg[: change[0]] + change[1] + msg[change[0] + 1 :]
    )


# Sign and activation msgs of nobody we know: even a mutation that still decrypts
# reaches no lifecycle of the test.
STRANGER_SIGN = sign_msg("doc-nobody", "nobody@example.com")
STRANGER_ACTIVATION = activation_msg("nobody@example.com")

MSGS = st.one_of(
    st.text(max_size=300),
    st.binary(max_size=200).map(_base64_of),
    st.integers(1, 8)
    .flatmap(lambda n: st.binary(min_size=16 * n, max_size=16 * n))
    .map(_base64_of),
    st.binary(max_size=200).map(lambda b: quote(_base64_of(b), safe="")),
    _mutated(unquote(STRANGER_SIGN)),
    _mutated(STRANGER_SIGN),
    _mutated(unquote(STRANGER_ACTIVATION)),
)

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=20), children, max_size=5)
    ),
    max_leaves=30,
)


@pytest_asyncio.fixture(loop_scope="session")
async def standing(
    http: httpx.AsyncClient, dev: WorkflowEnvironment, digisign: ScriptedDigisign
) -> AsyncIterator[tuple[str, int]]:
    """A lifecycle awaiting a signature, and the length of its history before the test."""
    event = loan_event()
    digisign.humans[emails(event)[0]] = "no-sign"
    assert (await http.post("/v1/loan-events", json=event)).status_code == 202
    document_id = event["document_id"]
    await until_stage(
        dev.client,
        document_id,
        lambda s: (
            s.signers[0].stage is SignerStage.AWAITING_SIGNATURE
            and s.signers[0].sign_link is not None
        ),
    )
    before = await history_length(dev, document_id)
    yield document_id, before
    assert await history_length(dev, document_id) == before, "the fuzzing changed the lifecycle"


async def history_length(dev: WorkflowEnvironment, document_id: str) -> int:
    return len([e async for e in handle(dev.client, document_id).fetch_history_events()])


@FUZZ
@given(msg=MSGS)
async def test_arbitrary_sign_msgs_never_fail_the_server_or_signal(
    anonymous: httpx.AsyncClient, gateway: str, standing: tuple[str, int], msg: str
) -> None:
    response = await anonymous.get(f"{gateway}/digisign/sign", params={"msg": msg})

    assert response.status_code in (400, 404), (response.status_code, response.text)
    assert response.headers["content-type"].startswith("text/html")


@FUZZ
@given(msg=MSGS)
async def test_arbitrary_activation_msgs_never_fail_the_server_or_signal(
    anonymous: httpx.AsyncClient, gateway: str, standing: tuple[str, int], msg: str
) -> None:
    response = await anonymous.get(f"{gateway}/digisign/activation", params={"msg": msg})

    assert response.status_code in (400, 404), (response.status_code, response.text)


@FUZZ
@given(body=JSON)
async def test_arbitrary_json_events_are_422_and_start_nothing(
    http: httpx.AsyncClient, standing: tuple[str, int], body: Any
) -> None:
    response = await http.post(
        "/v1/loan-events",
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 422, response.text
    assert response.json()["detail"]


PATHS = [
    ("loan_id",),
    ("document",),
    ("sequence_option",),
    ("signers",),
    ("signers", 0),
    ("signers", 0, "nik"),
    ("signers", 0, "birth_date"),
    ("signers", 0, "gender"),
    ("signers", 0, "signatures"),
    ("signers", 0, "signatures", 0, "box"),
    ("signers", 0, "signatures", 0, "box", "page"),
    ("signers", 0, "consent"),
    ("signers", 0, "consent", "given_at"),
    ("policy",),
    ("viewers",),
    ("payment",),
]


@FUZZ
@given(path=st.sampled_from(PATHS), value=JSON)
async def test_an_event_with_any_field_replaced_is_never_a_5xx(
    http: httpx.AsyncClient,
    dev: WorkflowEnvironment,
    standing: tuple[str, int],
    path: tuple[str | int, ...],
    value: Any,
) -> None:
    event = loan_event(document_id=f"fz-{tag()}")
    target: Any = event
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value

    response = await http.post(
        "/v1/loan-events",
        content=json.dumps(event).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {EVENT_TOKEN}"},
    )

    assert response.status_code in (202, 422), response.text
    if response.status_code == 422:
        assert not await exists(dev.client, event["document_id"])


@FUZZ
@given(body=st.binary(max_size=500))
async def test_arbitrary_bytes_are_422(http: httpx.AsyncClient, body: bytes) -> None:
    response = await http.post(
        "/v1/loan-events", content=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422, response.text
