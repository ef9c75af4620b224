"""LOS notifications against a real HTTP receiver: the body, the signature, the failures."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.los import SIGNATURE_HEADER, LosActivities
from activities.models import NotifyInput
from tests.support.servers import free_port, serve

SECRET = b"shared-with-the-los"
LINK = "https://wv.tandatanganku.com/signingpage.html?sgn=single-use-token"


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]


@dataclass
class FakeLos:
    """The LOS callback endpoint: answers `status` and records what arrived."""

    base: str = ""
    status: int = 204
    received: list[Received] = field(default_factory=list)

    def app(self) -> Starlette:
        async def callback(request: Request) -> Response:
            self.received.append(Received(await request.body(), dict(request.headers)))
            return Response(status_code=self.status)

        return Starlette(routes=[Route("/callback", callback, methods=["POST"])])

    @property
    def url(self) -> str:
        return f"{self.base}/callback"


@pytest.fixture(scope="module")
def served() -> Iterator[FakeLos]:
    los = FakeLos()
    with serve(los.app()) as base:
        los.base = base
        yield los


@pytest.fixture
def los(served: FakeLos) -> FakeLos:
    served.status = 204
    served.received.clear()
    return served


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def sign_link_event(url: str) -> NotifyInput:
    return NotifyInput(
        url=url,
        event="sign_link",
        loan_id="loan-7",
        document_id="doc1",
        signer_index=0,
        email="test@hotmail.com",
        link=LINK,
    )


async def notify(activities: LosActivities, data: NotifyInput) -> None:
    await ActivityEnvironment().run(activities.notify, data)


async def test_notification_posts_the_event_as_json_without_the_callback_url(
    los: FakeLos, http: httpx.AsyncClient
) -> None:
    await notify(LosActivities(http, SECRET), sign_link_event(los.url))

    (received,) = los.received
    assert received.headers["content-type"] == "application/json"
    assert json.loads(received.body) == {
        "event": "sign_link",
        "loan_id": "loan-7",
        "document_id": "doc1",
        "signer_index": 0,
        "email": "test@hotmail.com",
        "link": LINK,
    }


async def test_notification_carries_an_hmac_of_the_body_under_the_shared_secret(
    los: FakeLos, http: httpx.AsyncClient
) -> None:
    await notify(LosActivities(http, SECRET), sign_link_event(los.url))

    (received,) = los.received
    scheme, _, signature = received.headers[SIGNATURE_HEADER.lower()].partition("=")
    assert scheme == "sha256"
    expected = hmac.new(SECRET, received.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signature, expected)
    forged = hmac.new(b"another secret", received.body, hashlib.sha256).hexdigest()
    assert not hmac.compare_digest(signature, forged)


async def test_without_a_secret_the_notification_is_unsigned(
    los: FakeLos, http: httpx.AsyncClient
) -> None:
    await notify(LosActivities(http), sign_link_event(los.url))

    (received,) = los.received
    assert SIGNATURE_HEADER.lower() not in received.headers


@pytest.mark.parametrize("status", [302, 307, 400, 404, 422])
async def test_a_redirect_or_4xx_answer_is_a_final_refusal(
    los: FakeLos, http: httpx.AsyncClient, status: int
) -> None:
    los.status = status

    with pytest.raises(ApplicationError) as caught:
        await notify(LosActivities(http, SECRET), sign_link_event(los.url))

    assert caught.value.type == "LosRefused"
    assert caught.value.non_retryable
    assert str(status) in caught.value.message
    assert LINK not in str(caught.value)


@pytest.mark.parametrize("status", [500, 503])
async def test_a_5xx_answer_is_retried(los: FakeLos, http: httpx.AsyncClient, status: int) -> None:
    los.status = status

    with pytest.raises(ApplicationError) as caught:
        await notify(LosActivities(http, SECRET), sign_link_event(los.url))

    assert caught.value.type == "LosUnreachable"
    assert not caught.value.non_retryable
    assert len(los.received) == 1


async def test_a_refused_connection_is_retried(http: httpx.AsyncClient) -> None:
    nobody = f"http://127.0.0.1:{free_port()}/callback"

    with pytest.raises(ApplicationError) as caught:
        await notify(LosActivities(http, SECRET), sign_link_event(nobody))

    assert caught.value.type == "LosUnreachable"
    assert not caught.value.non_retryable
    assert "ConnectError" in caught.value.message
