"""The Digisign client against `httpx.MockTransport`: the wire, the timeouts, the errors."""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from digisign import errors as e
from digisign.client import DigisignClient, DigisignConfig
from digisign.endpoints import Endpoint
from digisign.requests import (
    ActivationLinkRequest,
    DownloadBase64Request,
    DownloadRequest,
    SignLinkRequest,
    UpdateContactRequest,
)
from digisign.results import RegistrationKind
from tests.unit.fixtures.samples import (
    EMAIL,
    JPEG,
    NIK,
    PDF,
    PHONE,
    register_request,
    send_request,
)

TOKEN = "1ecbe0a70545432baf7133a89ab4c026"
USERID = "admin@ptmitra.com"
BASE = "https://digisign.test"

Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class Part:
    name: str
    filename: str | None
    content_type: str
    content: bytes


@dataclass
class Recorder:
    """Answers every request with `respond` and remembers what was sent."""

    respond: Handler
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.respond(request)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


def parts_of(request: httpx.Request) -> dict[str, Part]:
    """The multipart parts of `request`, by form field name."""
    raw = b"Content-Type: " + request.headers["content-type"].encode() + b"\r\n\r\n"
    message = email.message_from_bytes(raw + request.content, policy=email.policy.HTTP)
    assert message.is_multipart()
    parts = {}
    for part in message.iter_parts():  # type: ignore[attr-defined]
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        parts[name] = Part(name, part.get_filename(), part.get_content_type(), payload)
    return parts


def answer(inner: dict[str, Any], status: int = 200) -> Handler:
    return lambda _request: httpx.Response(status, json={"JSONFile": inner})


@pytest.fixture
async def make_client() -> AsyncIterator[Callable[[Handler], tuple[DigisignClient, Recorder]]]:
    clients: list[httpx.AsyncClient] = []

    def make(respond: Handler) -> tuple[DigisignClient, Recorder]:
        recorder = Recorder(respond)
        http = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
        clients.append(http)
        config = DigisignConfig(base_url=BASE, token=TOKEN, userid=USERID)
        return DigisignClient(config, http=http), recorder

    yield make
    for http in clients:
        await http.aclose()


NEW_USER = {
    "kode_user": "230500000000273",
    "expired_aktifasi": "17-12-2022 09:00:21 WIB",
    "result": "00",
    "notif": "Berhasil, silahkan check email untuk aktivasi akun anda.",
    "info": "https://app.tandatanganku.com/preregistration.html?preregister=x",
}


async def test_register_posts_multipart_jsonfield_and_photos_with_bearer_token(
    make_client: Any,
) -> None:
    client, sent = make_client(answer(NEW_USER))
    registration = await client.register(register_request())

    request = sent.last
    assert request.method == "POST"
    assert str(request.url) == f"{BASE}/REG-MITRA.html"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    parts = parts_of(request)
    assert set(parts) == {"jsonfield", "fotoktp", "fotodiri"}
    assert parts["jsonfield"].filename is None
    assert json.loads(parts["jsonfield"].content) == register_request().json_file(USERID)
    assert json.loads(parts["jsonfield"].content)["JSONFile"]["userid"] == USERID
    assert (parts["fotoktp"].filename, parts["fotoktp"].content) == ("ktp.jpg", JPEG)
    assert (parts["fotodiri"].filename, parts["fotodiri"].content_type) == (
        "selfie.jpg",
        "image/jpeg",
    )
    assert registration.kind is RegistrationKind.NEW
    assert registration.kode_user == "230500000000273"


async def test_requests_without_files_are_still_multipart(make_client: Any) -> None:
    # Digisign answers 30 to anything but multipart/form-data.
    link = {"result": "00", "link": "https://wv.tandatanganku.com/activationpage.html?act=a"}
    client, sent = make_client(answer(link))
    await client.activation_link(ActivationLinkRequest(email_user=EMAIL))
    assert sent.last.headers["content-type"].startswith("multipart/form-data")
    assert set(parts_of(sent.last)) == {"jsonfield"}


async def test_send_document_uploads_the_pdf_as_file(make_client: Any) -> None:
    client, sent = make_client(answer({"result": "00", "notif": "Kirim dokumen berhasil."}))
    result = await client.send_document(send_request())
    parts = parts_of(sent.last)
    assert set(parts) == {"jsonfield", "file"}
    assert parts["file"].content == PDF
    assert parts["file"].content_type == "application/pdf"
    assert result.notif == "Kirim dokumen berhasil."


SLOW, FAST = 95.0, 30.0


@pytest.mark.parametrize(
    ("call", "expected_timeout"),
    [
        (lambda c: c.register(register_request()), SLOW),
        (lambda c: c.send_document(send_request()), SLOW),
        (lambda c: c.activation_link(ActivationLinkRequest(email_user=EMAIL)), FAST),
        (lambda c: c.sign_link(SignLinkRequest(document_id="d1", email_user=EMAIL)), FAST),
        (lambda c: c.download(DownloadRequest(document_id="d1")), FAST),
        (lambda c: c.download_base64(DownloadBase64Request(document_id="d1")), FAST),
        (
            lambda c: c.update_contact(
                UpdateContactRequest(
                    email_lama=EMAIL, email_baru=EMAIL, nohp_lama=PHONE, nohp_baru="081234567890"
                )
            ),
            FAST,
        ),
    ],
    ids=["register", "send", "activation", "sign", "download", "download64", "update"],
)
async def test_each_endpoint_waits_its_required_timeout(
    make_client: Any, call: Any, expected_timeout: float
) -> None:
    client, sent = make_client(answer({"result": "91", "notif": "system timeout"}))
    with pytest.raises(e.RetryLater):
        await call(client)
    timeout = sent.last.extensions["timeout"]
    assert timeout == {
        "connect": expected_timeout,
        "read": expected_timeout,
        "write": expected_timeout,
        "pool": expected_timeout,
    }


async def test_sign_link_returns_a_repaired_link_hidden_from_repr(make_client: Any) -> None:
    raw = "https://\\wv.tandatanganku.com\\signingpage.html?sgn=%2B6MM"
    client, sent = make_client(answer({"result": "00", "link": raw}))
    link = await client.sign_link(
        SignLinkRequest(document_id="doc1", email_user=EMAIL, view_only=False)
    )
    assert link.link == "https://wv.tandatanganku.com/signingpage.html?sgn=%2B6MM"
    assert "sgn=" not in repr(link)
    sent_json = json.loads(parts_of(sent.last)["jsonfield"].content)
    assert sent_json == {
        "JSONFile": {
            "userid": USERID,
            "document_id": "doc1",
            "email_user": EMAIL,
            "view_only": False,
        }
    }


async def test_sign_link_not_yet_their_turn_is_a_typed_not_found(make_client: Any) -> None:
    client, _ = make_client(answer({"result": "05", "notif": "belum waktunya"}))
    with pytest.raises(e.NotFound) as caught:
        await client.sign_link(SignLinkRequest(document_id="doc1", email_user=EMAIL))
    assert caught.value.reason is e.NotFoundReason.NOT_YET_THEIR_TURN
    assert caught.value.endpoint is Endpoint.SIGN_LINK


async def test_update_contact_with_res_key_is_a_general_error(make_client: Any) -> None:
    client, _ = make_client(answer({"res": "06", "notif": "Update email atau no hp gagal"}))
    request = UpdateContactRequest(
        email_lama=EMAIL, email_baru="new@example.com", nohp_lama=PHONE, nohp_baru=PHONE
    )
    with pytest.raises(e.GeneralError):
        await client.update_contact(request)


async def test_result_91_raises_retry_later(make_client: Any) -> None:
    def timeout_body(_request: httpx.Request) -> httpx.Response:
        # The document's own 91 example: no wrapper and a stray closing brace.
        text = '{ "result": "91", "notif": "system timeout, silahkan coba kembali" } }'
        return httpx.Response(200, text=text)

    client, _ = make_client(timeout_body)
    with pytest.raises(e.RetryLater) as caught:
        await client.register(register_request())
    assert caught.value.retry_later
    assert caught.value.result == "91"


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("peer closed connection without sending complete message"),
    ],
    ids=["refused", "read-timeout", "dropped"],
)
async def test_transport_failures_are_transient_errors(
    make_client: Any, failure: Exception
) -> None:
    def fail(_request: httpx.Request) -> httpx.Response:
        raise failure

    client, _ = make_client(fail)
    with pytest.raises(e.TransportError) as caught:
        await client.send_document(send_request())
    assert caught.value.transient
    assert caught.value.endpoint is Endpoint.SEND_DOCUMENT


async def test_html_error_page_with_200_is_an_unexpected_response(make_client: Any) -> None:
    page = "<html><head><title>Error</title></head><body>Maintenance</body></html>"
    client, _ = make_client(lambda _r: httpx.Response(200, html=page))
    with pytest.raises(e.UnexpectedResponse) as caught:
        await client.activation_link(ActivationLinkRequest(email_user=EMAIL))
    assert caught.value.transient


async def test_http_5xx_page_is_a_transport_error(make_client: Any) -> None:
    client, _ = make_client(lambda _r: httpx.Response(502, html="<h1>Bad Gateway</h1>"))
    with pytest.raises(e.TransportError, match="HTTP 502"):
        await client.register(register_request())


async def test_error_envelope_on_a_non_200_status_is_still_read(make_client: Any) -> None:
    client, _ = make_client(answer({"result": "55", "notif": "token salah"}, status=500))
    with pytest.raises(e.AuthenticationFailed):
        await client.register(register_request())


async def test_download_returns_the_pdf_with_its_sha256(make_client: Any) -> None:
    client, sent = make_client(
        lambda _r: httpx.Response(200, content=PDF, headers={"content-type": "application/pdf"})
    )
    document = await client.download(DownloadRequest(document_id="20180920_AB"))
    assert document.content == PDF
    assert document.sha256 == hashlib.sha256(PDF).hexdigest()
    assert document.size == len(PDF)
    assert str(sent.last.url) == f"{BASE}/DWMITRA.html"
    assert "PDF-1.4" not in repr(document)


async def test_download_rejects_a_body_that_is_not_a_pdf(make_client: Any) -> None:
    client, _ = make_client(lambda _r: httpx.Response(200, content=b"GIF89a not a pdf"))
    with pytest.raises(e.UnexpectedResponse):
        await client.download(DownloadRequest(document_id="d1"))


@pytest.mark.parametrize("status", [403, 404])
async def test_download_error_statuses_are_permanent(make_client: Any, status: int) -> None:
    client, _ = make_client(lambda _r: httpx.Response(status, text=""))
    with pytest.raises(e.HttpStatusError) as caught:
        await client.download(DownloadRequest(document_id="d1"))
    assert caught.value.status_code == status
    assert caught.value.permanent


async def test_download_base64_decodes_and_checks_the_pdf(make_client: Any) -> None:
    encoded = base64.b64encode(PDF).decode()
    client, sent = make_client(answer({"result": "00", "file": encoded}))
    document = await client.download_base64(DownloadBase64Request(document_id="d1"))
    assert document.content == PDF
    assert str(sent.last.url) == f"{BASE}/DWMITRA64.html"


@pytest.mark.parametrize(
    "file", [base64.b64encode(b"<html>not a pdf</html>").decode(), "%%% not base64 %%%", None]
)
async def test_download_base64_rejects_what_is_not_a_pdf(make_client: Any, file: Any) -> None:
    inner = {"result": "00"} if file is None else {"result": "00", "file": file}
    client, _ = make_client(answer(inner))
    with pytest.raises(e.UnexpectedResponse):
        await client.download_base64(DownloadBase64Request(document_id="d1"))


async def test_download_base64_file_not_found(make_client: Any) -> None:
    client, _ = make_client(answer({"result": "05", "notif": "file tidak ditemukan"}))
    with pytest.raises(e.NotFound) as caught:
        await client.download_base64(DownloadBase64Request(document_id="d1"))
    assert caught.value.reason is e.NotFoundReason.FILE


async def test_no_token_or_personal_data_in_logs_errors_or_reprs(
    make_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    responses = iter(
        [
            answer({"result": "12", "notif": "verifikasi user gagal.", "data": {"nik": False}}),
            answer({"result": "14", "notif": "NIK sudah terdaftar", "email_registered": EMAIL}),
            lambda _r: httpx.Response(502, text=f"upstream echoed {NIK} {PHONE}"),
        ]
    )
    client, _ = make_client(lambda request: next(responses)(request))
    messages = [repr(client)]
    for _ in range(3):
        with pytest.raises(e.DigisignError) as caught:
            await client.register(register_request())
        messages += [str(caught.value), repr(caught.value)]
    text = "\n".join(messages) + caplog.text
    assert "REGISTER" in caplog.text  # the calls were logged...
    for secret in (TOKEN, NIK, PHONE, EMAIL, "test registrasi", "JFIF"):
        assert secret not in text  # ...without anything personal or secret
    assert TOKEN not in repr(DigisignConfig(base_url=BASE, token=TOKEN, userid=USERID))


async def test_observer_sees_endpoint_and_outcome_of_every_call(make_client: Any) -> None:
    seen: list[tuple[Endpoint, str]] = []
    client, _ = make_client(answer({"result": "91", "notif": "timeout"}))
    config = DigisignConfig(base_url=BASE, token=TOKEN, userid=USERID)
    observed = DigisignClient(
        config, http=client._http, observer=lambda ep, label, _s: seen.append((ep, label))
    )
    with pytest.raises(e.RetryLater):
        await observed.register(register_request())
    assert seen == [(Endpoint.REGISTER, "91")]


async def test_client_made_without_http_client_closes_its_own() -> None:
    config = DigisignConfig(base_url=BASE, token=TOKEN, userid=USERID)
    async with DigisignClient(config) as client:
        http = client._http
    assert http.is_closed
