"""The checks every sandbox endpoint makes first, answered over HTTP and read by the client.

Each case runs against all seven endpoints: what is wrong with the request is the
same, and so must be the answer (`shared/digisign-behaviour.md`, "Every endpoint").
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from digisign import errors as e
from digisign.client import DigisignClient
from digisign.endpoints import Endpoint
from sandbox import notifs
from tests.integration import harness
from tests.integration.harness import RawRequest, RewritingTransport, RunningSandbox

CALLS: dict[Endpoint, str] = {
    Endpoint.REGISTER: "register",
    Endpoint.ACTIVATION_LINK: "activation_link",
    Endpoint.SEND_DOCUMENT: "send_document",
    Endpoint.SIGN_LINK: "sign_link",
    Endpoint.DOWNLOAD: "download",
    Endpoint.DOWNLOAD_BASE64: "download_base64",
    Endpoint.UPDATE_CONTACT: "update_contact",
}

PERSON = harness.People()()

BODIES: dict[Endpoint, RawRequest] = {
    Endpoint.REGISTER: RawRequest(Endpoint.REGISTER, PERSON.register_fields(), harness.photos()),
    Endpoint.ACTIVATION_LINK: RawRequest(Endpoint.ACTIVATION_LINK, {"email_user": PERSON.email}),
    Endpoint.SEND_DOCUMENT: RawRequest(Endpoint.SEND_DOCUMENT, {"document_id": "d1"}),
    Endpoint.SIGN_LINK: RawRequest(
        Endpoint.SIGN_LINK, {"document_id": "d1", "email_user": PERSON.email}
    ),
    Endpoint.DOWNLOAD: RawRequest(Endpoint.DOWNLOAD, {"document_id": "d1"}),
    Endpoint.DOWNLOAD_BASE64: RawRequest(Endpoint.DOWNLOAD_BASE64, {"document_id": "d1"}),
    Endpoint.UPDATE_CONTACT: RawRequest(
        Endpoint.UPDATE_CONTACT,
        {
            "email_lama": PERSON.email,
            "email_baru": PERSON.email,
            "nohp_lama": PERSON.phone,
            "nohp_baru": PERSON.phone,
        },
    ),
}

OTHER = harness.make_partner(userid="other@lender.test", token="other-partner-token")


@pytest.fixture(scope="module")
def shared() -> Iterator[RunningSandbox]:
    """One sandbox for the module: these requests change nothing in it."""
    with harness.start_sandbox(other_partners=(OTHER,)) as running:
        yield running


Rewrite = Callable[[httpx.Request], httpx.Request]


@pytest.fixture
async def client_for(shared: RunningSandbox) -> AsyncIterator[Callable[..., DigisignClient]]:
    """``client_for(rewrite=None, token=None, userid=None)``: a client of the shared sandbox."""
    clients: list[httpx.AsyncClient] = []

    def make(
        rewrite: Rewrite | None = None, *, token: str | None = None, userid: str | None = None
    ) -> DigisignClient:
        transport = RewritingTransport(rewrite or (lambda request: request))
        http = httpx.AsyncClient(transport=transport, timeout=10)
        clients.append(http)
        return DigisignClient(shared.client_config(token=token, userid=userid), http=http)

    yield make
    for http in clients:
        await http.aclose()


async def call(client: DigisignClient, endpoint: Endpoint) -> Any:
    """Make ``endpoint``'s call with its sample request."""
    return await getattr(client, CALLS[endpoint])(BODIES[endpoint])


def _jsonfield(request: httpx.Request) -> str:
    marker = b'name="jsonfield"\r\n\r\n'
    start = request.content.index(marker) + len(marker)
    return request.content[start : request.content.index(b"\r\n--", start)].decode()


def as_urlencoded(request: httpx.Request) -> httpx.Request:
    """The same request as a plain form post instead of multipart."""
    return httpx.Request(
        "POST",
        request.url,
        headers={"Authorization": request.headers["authorization"]},
        data={"jsonfield": _jsonfield(request)},
    )


def without_authorization(request: httpx.Request) -> httpx.Request:
    """The same request without its Authorization header."""
    del request.headers["authorization"]
    return request


def with_jsonfield(value: str | None) -> Rewrite:
    """The request with ``jsonfield`` replaced (None: no jsonfield part at all)."""

    def rewrite(request: httpx.Request) -> httpx.Request:
        parts: list[tuple[str, Any]] = [("other", (None, "x"))]
        if value is not None:
            parts = [("jsonfield", (None, value))]
        return httpx.Request(
            "POST",
            request.url,
            headers={"Authorization": request.headers["authorization"]},
            files=parts,
        )

    return rewrite


ENDPOINTS = pytest.mark.parametrize("endpoint", list(Endpoint), ids=lambda ep: ep.name.lower())


@ENDPOINTS
async def test_a_request_that_is_not_multipart_is_answered_30(
    client_for: Callable[..., DigisignClient], endpoint: Endpoint
) -> None:
    with pytest.raises(e.InvalidRequest) as raised:
        await call(client_for(as_urlencoded), endpoint)
    assert (raised.value.result, raised.value.notif) == ("30", notifs.NOT_MULTIPART)


@ENDPOINTS
async def test_a_request_without_authorization_is_answered_91(
    client_for: Callable[..., DigisignClient], endpoint: Endpoint
) -> None:
    with pytest.raises(e.RetryLater) as raised:
        await call(client_for(without_authorization), endpoint)
    assert raised.value.result == "91"


@ENDPOINTS
async def test_an_unknown_token_is_answered_55_token_salah(
    client_for: Callable[..., DigisignClient], endpoint: Endpoint
) -> None:
    with pytest.raises(e.AuthenticationFailed) as raised:
        await call(client_for(token="not-a-partner-token"), endpoint)
    assert (raised.value.result, raised.value.notif) == ("55", notifs.WRONG_TOKEN)


@ENDPOINTS
async def test_an_unknown_userid_is_answered_55(
    client_for: Callable[..., DigisignClient], endpoint: Endpoint
) -> None:
    with pytest.raises(e.AuthenticationFailed) as raised:
        await call(client_for(userid="nobody@lender.test"), endpoint)
    assert raised.value.notif == notifs.USERID_NOT_FOUND


@ENDPOINTS
async def test_the_userid_of_another_partner_is_answered_55_mismatch(
    client_for: Callable[..., DigisignClient], endpoint: Endpoint
) -> None:
    with pytest.raises(e.AuthenticationFailed) as raised:
        await call(client_for(userid=OTHER.userid), endpoint)
    assert raised.value.notif == notifs.TOKEN_PARTNER_MISMATCH


@ENDPOINTS
async def test_a_missing_userid_is_answered_05(
    client_for: Callable[..., DigisignClient], endpoint: Endpoint
) -> None:
    with pytest.raises(e.NotFound) as raised:
        await call(client_for(userid=""), endpoint)
    assert raised.value.notif == notifs.USERID_MISSING
    assert raised.value.reason is e.NotFoundReason.REQUEST_DATA


@ENDPOINTS
@pytest.mark.parametrize(
    "jsonfield", ["not json", '{"JSONFile": "x"}', "[1, 2]"], ids=["text", "no-object", "array"]
)
async def test_an_unreadable_jsonfield_is_answered_05_request_data(
    client_for: Callable[..., DigisignClient], endpoint: Endpoint, jsonfield: str
) -> None:
    with pytest.raises(e.NotFound) as raised:
        await call(client_for(with_jsonfield(jsonfield)), endpoint)
    assert raised.value.notif == notifs.REQUEST_DATA_NOT_FOUND


@ENDPOINTS
async def test_a_request_without_jsonfield_gets_an_empty_body(
    client_for: Callable[..., DigisignClient], endpoint: Endpoint
) -> None:
    with pytest.raises(e.UnexpectedResponse, match="empty body"):
        await call(client_for(with_jsonfield(None)), endpoint)


async def test_a_jsonfield_with_trailing_debris_is_read_like_the_server_does(
    client_for: Callable[..., DigisignClient], shared: RunningSandbox
) -> None:
    # The document's own examples end in a stray `"}`; org.json ignores what follows.
    body = json.dumps(
        {"JSONFile": {"userid": shared.partner.userid, "email_user": "nobody@x.test"}}
    )
    with pytest.raises(e.GeneralError):
        await client_for(with_jsonfield(body + '"}')).activation_link(
            BODIES[Endpoint.ACTIVATION_LINK]
        )


async def test_registration_errors_carry_a_reference_like_digisigns(
    client_for: Callable[..., DigisignClient],
) -> None:
    with pytest.raises(e.AuthenticationFailed) as raised:
        await call(client_for(token="wrong"), Endpoint.REGISTER)
    ref = raised.value.ref_trx
    assert ref is not None
    assert ref.startswith("REGD")
    assert len(ref) == 24
    assert ref[4:].isdigit()
