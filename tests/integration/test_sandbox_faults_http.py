"""The fault middleware on a real uvicorn server, seen by httpx and by the Digisign client.

A tiny Starlette app stands in for the sandbox's API: it answers `00` on every
Digisign path and counts its calls, so each test can tell whether a fault let the
request through. Every test also checks that the server logged nothing at WARNING
or above: a fault is the server behaving as asked, not the server failing.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from digisign import errors as e
from digisign.client import DigisignClient, DigisignConfig
from digisign.endpoints import Endpoint
from digisign.envelope import read_envelope
from digisign.requests import ActivationLinkRequest, DownloadRequest
from sandbox.faults import (
    MALFORMED_BODIES,
    RETRY_LATER_BODY,
    Fault,
    FaultInjectionMiddleware,
    FaultPlan,
    FaultSettings,
)
from tests.support.servers import serve
from tests.unit.fixtures.samples import EMAIL, PDF, register_request

OK = {"JSONFile": {"result": "00", "notif": "ok"}}
LINK = {"JSONFile": {"result": "00", "notif": "ok", "link": "http://127.0.0.1/x.html?act=t"}}


@dataclass
class StandIn:
    """Answers like a healthy sandbox and counts the API calls that reach it."""

    calls: Counter[Endpoint] = field(default_factory=Counter)

    def app(self) -> Starlette:
        api = [Route(ep.path, self._api(ep), methods=["POST"]) for ep in Endpoint]
        pages = [
            Route("/REG-MITRA.html", self._page, methods=["GET"]),
            Route("/activationpage.html", self._page, methods=["GET", "POST"]),
            Route("/_sandbox/faults", self._page, methods=["POST"]),
        ]
        return Starlette(routes=api + pages)

    def _api(self, endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
        async def answer(request: Request) -> Response:
            await request.body()
            self.calls[endpoint] += 1
            if endpoint is Endpoint.DOWNLOAD:
                return Response(PDF, media_type="application/pdf")
            if endpoint in (Endpoint.ACTIVATION_LINK, Endpoint.SIGN_LINK):
                return JSONResponse(LINK)
            return JSONResponse(OK)

        return answer

    async def _page(self, request: Request) -> Response:
        await request.body()
        return HTMLResponse("<html><body>page</body></html>")


class ServerLog(logging.Handler):
    """Collects what uvicorn and asyncio log at WARNING or above, from any thread."""

    loggers = ("uvicorn", "uvicorn.error", "asyncio")

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    @property
    def messages(self) -> list[str]:
        return [record.getMessage() for record in self.records]


@dataclass
class Sandbox:
    base_url: str
    plan: FaultPlan
    calls: Counter[Endpoint]

    def url(self, endpoint: Endpoint) -> str:
        return self.base_url + endpoint.path

    def fault_everywhere(self, **shares: float) -> None:
        self.plan.update(None, FaultSettings.model_validate(shares))


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    stand_in = StandIn()
    plan = FaultPlan(seed=1)
    with serve(FaultInjectionMiddleware(stand_in.app(), plan)) as base_url:
        # Attached after the server configured logging, which replaces uvicorn's handlers.
        log = ServerLog()
        for name in log.loggers:
            logging.getLogger(name).addHandler(log)
        try:
            yield Sandbox(base_url, plan, stand_in.calls)
        finally:
            for name in log.loggers:
                logging.getLogger(name).removeHandler(log)
    assert log.messages == []


@pytest.fixture
async def digisign(sandbox: Sandbox, http: httpx.AsyncClient) -> DigisignClient:
    config = DigisignConfig(base_url=sandbox.base_url, token="t0ken", userid="admin@mitra.test")
    return DigisignClient(config, http=http)


async def post(http: httpx.AsyncClient, url: str) -> httpx.Response:
    # The client's shape: multipart with a jsonfield part.
    return await http.post(url, files={"jsonfield": (None, '{"JSONFile":{}}')})


# --- what goes over the wire -----------------------------------------------------------


async def test_without_faults_every_call_reaches_the_app(
    sandbox: Sandbox, http: httpx.AsyncClient
) -> None:
    for endpoint in Endpoint:
        response = await post(http, sandbox.url(endpoint))
        assert response.status_code == 200

    assert sandbox.calls == Counter(Endpoint)


async def test_retry_later_answers_91_without_calling_the_app(
    sandbox: Sandbox, http: httpx.AsyncClient
) -> None:
    sandbox.fault_everywhere(retry_later=1.0)

    response = await post(http, sandbox.url(Endpoint.REGISTER))

    assert response.status_code == 200
    assert response.content == RETRY_LATER_BODY
    envelope = read_envelope(Endpoint.REGISTER, response.content)
    assert envelope.result == "91"
    assert envelope.notif == "system timeout, silahkan coba kembali 10 menit kemudian"
    assert sandbox.calls == Counter()


async def test_server_errors_answer_500_502_or_503_pages_without_calling_the_app(
    sandbox: Sandbox, http: httpx.AsyncClient
) -> None:
    sandbox.fault_everywhere(server_error=1.0)

    responses = [await post(http, sandbox.url(Endpoint.SEND_DOCUMENT)) for _ in range(20)]

    assert {r.status_code for r in responses} == {500, 502, 503}
    assert all(r.text.startswith("<html>") for r in responses)
    assert sandbox.calls == Counter()


async def test_malformed_answers_rotate_through_bodies_no_reader_accepts(
    sandbox: Sandbox, http: httpx.AsyncClient
) -> None:
    sandbox.fault_everywhere(malformed=1.0)

    responses = [await post(http, sandbox.url(Endpoint.SIGN_LINK)) for _ in MALFORMED_BODIES]

    assert [r.content for r in responses] == [body for body, _ in MALFORMED_BODIES]
    for response in responses:
        assert response.status_code == 200
        with pytest.raises(e.UnexpectedResponse):
            read_envelope(Endpoint.SIGN_LINK, response.content)
    assert sandbox.calls == Counter()


async def test_drop_before_closes_the_connection_without_calling_the_app(
    sandbox: Sandbox, http: httpx.AsyncClient
) -> None:
    sandbox.fault_everywhere(drop_before=1.0)

    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        await post(http, sandbox.url(Endpoint.REGISTER))

    assert sandbox.calls == Counter()


async def test_drop_after_calls_the_app_once_then_closes_the_connection(
    sandbox: Sandbox, http: httpx.AsyncClient
) -> None:
    sandbox.fault_everywhere(drop_after=1.0)

    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        await post(http, sandbox.url(Endpoint.REGISTER))

    assert sandbox.calls == Counter({Endpoint.REGISTER: 1})


async def test_the_server_keeps_serving_on_the_same_client_after_drops(
    sandbox: Sandbox, http: httpx.AsyncClient
) -> None:
    url = sandbox.url(Endpoint.UPDATE_CONTACT)
    for fault in ("drop_before", "drop_after", "drop_before"):
        sandbox.fault_everywhere(**{fault: 1.0})
        with pytest.raises(httpx.TransportError):
            await post(http, url)
        sandbox.plan.reset()
        assert (await post(http, url)).status_code == 200

    assert sandbox.calls == Counter({Endpoint.UPDATE_CONTACT: 4})


async def test_latency_delays_the_answer(sandbox: Sandbox, http: httpx.AsyncClient) -> None:
    sandbox.plan.update(Endpoint.DOWNLOAD, FaultSettings(latency_ms=300))
    started = time.monotonic()

    response = await post(http, sandbox.url(Endpoint.DOWNLOAD))

    assert time.monotonic() - started >= 0.3
    assert response.content == PDF
    assert sandbox.calls == Counter({Endpoint.DOWNLOAD: 1})


async def test_web_pages_admin_calls_and_gets_are_never_faulted(
    sandbox: Sandbox, http: httpx.AsyncClient
) -> None:
    sandbox.fault_everywhere(drop_before=1.0)
    armed = sandbox.plan.decide(Endpoint.REGISTER)

    responses = [
        await http.get(sandbox.base_url + "/activationpage.html?act=t"),
        await http.post(sandbox.base_url + "/activationpage.html", data={"action": "activate"}),
        await http.post(sandbox.base_url + "/_sandbox/faults", json={}),
        await http.get(sandbox.url(Endpoint.REGISTER)),
    ]

    assert [r.status_code for r in responses] == [200, 200, 200, 200]
    assert all(r.text == "<html><body>page</body></html>" for r in responses)
    assert armed.fault is Fault.DROP_BEFORE  # the same paths, POSTed to the API, would drop


# --- what the Digisign client makes of it ----------------------------------------------


async def test_the_client_turns_91_into_retry_later(
    sandbox: Sandbox, digisign: DigisignClient
) -> None:
    sandbox.fault_everywhere(retry_later=1.0)

    with pytest.raises(e.RetryLater) as caught:
        await digisign.activation_link(ActivationLinkRequest(email_user=EMAIL))

    assert caught.value.result == "91"
    assert caught.value.retry_later


@pytest.mark.parametrize("fault", ["server_error", "drop_before", "drop_after"])
async def test_the_client_turns_5xx_and_drops_into_transport_errors(
    sandbox: Sandbox, digisign: DigisignClient, fault: str
) -> None:
    sandbox.fault_everywhere(**{fault: 1.0})

    for _ in range(3):
        with pytest.raises(e.TransportError) as caught:
            await digisign.activation_link(ActivationLinkRequest(email_user=EMAIL))
        assert type(caught.value) is e.TransportError
        assert caught.value.transient


async def test_the_client_turns_every_malformed_body_into_unexpected_response(
    sandbox: Sandbox, digisign: DigisignClient
) -> None:
    sandbox.fault_everywhere(malformed=1.0)

    for _ in MALFORMED_BODIES:
        with pytest.raises(e.UnexpectedResponse) as caught:
            await digisign.activation_link(ActivationLinkRequest(email_user=EMAIL))
        assert type(caught.value) is e.UnexpectedResponse
    for _ in MALFORMED_BODIES:
        with pytest.raises(e.UnexpectedResponse) as caught:
            await digisign.download(DownloadRequest(document_id="doc1"))
        assert type(caught.value) is e.UnexpectedResponse


async def test_a_dropped_answer_to_a_registration_still_charged_it(
    sandbox: Sandbox, digisign: DigisignClient
) -> None:
    sandbox.plan.update(Endpoint.REGISTER, FaultSettings(drop_after=1.0))

    with pytest.raises(e.TransportError):
        await digisign.register(register_request())

    assert sandbox.calls == Counter({Endpoint.REGISTER: 1})
    sandbox.plan.reset()
    await digisign.register(register_request())
    assert sandbox.calls == Counter({Endpoint.REGISTER: 2})


async def test_the_client_succeeds_through_the_middleware_when_no_fault_hits(
    sandbox: Sandbox, digisign: DigisignClient
) -> None:
    sandbox.plan.update(Endpoint.REGISTER, FaultSettings(drop_before=1.0))

    link = await digisign.activation_link(ActivationLinkRequest(email_user=EMAIL))
    document = await digisign.download(DownloadRequest(document_id="doc1"))

    assert link.link == "http://127.0.0.1/x.html?act=t"
    assert document.content == PDF
