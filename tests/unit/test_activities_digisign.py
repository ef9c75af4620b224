"""The Digisign activities through `ActivityEnvironment`: a real client, a real blob store.

Digisign is an `httpx.MockTransport` handler answering each endpoint from a script;
photos and PDFs live in a `FilesystemBlobStore` under `tmp_path`, so what the
activities read and write is what the worker would.
"""

from __future__ import annotations

import base64
import dataclasses
import email
import email.policy
import hashlib
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from temporalio.api.failure.v1 import Failure
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.blobs import FilesystemBlobStore
from activities.digisign import DigisignActivities, DocumentUnchanged
from activities.errors import error_details
from activities.models import (
    ActivationLinkInput,
    ContactChangeInput,
    DownloadInput,
    RegisterInput,
    Registrant,
    SendInput,
    SignLinkInput,
)
from digisign.client import DigisignClient, DigisignConfig
from digisign.endpoints import Endpoint
from digisign.fields import SELFIE_MAX_BYTES
from digisign.requests import SignBox, Signer
from digisign.results import WIB, RegistrationKind
from tests.unit.fixtures.samples import EMAIL, JPEG, NIK, PDF, PHONE, PNG

TOKEN = "1ecbe0a70545432baf7133a89ab4c026"
USERID = "admin@ptmitra.com"
BASE = "https://digisign.test"

SIGNED_PDF = PDF + b"%signed"
NEW_PHONE = "081234567890"
NEW_EMAIL = "new@example.com"

R = TypeVar("R")
Answer = Callable[[httpx.Request], httpx.Response]


# --- a scripted Digisign ------------------------------------------------------------


def envelope(**inner: Any) -> Answer:
    """Digisign's JSON answer `{"JSONFile": {...}}`."""
    return lambda _request: httpx.Response(200, json={"JSONFile": inner})


def raw_pdf(content: bytes) -> Answer:
    """DWMITRA's answer: the PDF itself."""
    return lambda _request: httpx.Response(
        200, content=content, headers={"content-type": "application/pdf"}
    )


def base64_pdf(content: bytes) -> Answer:
    """DWMITRA64's answer: the PDF as base64 in JSON."""
    return envelope(result="00", file=base64.b64encode(content).decode())


def refused_connection(_request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused")


FILE_NOT_FOUND = envelope(result="05", notif="file tidak ditemukan")
SENT = envelope(result="00", notif="Kirim dokumen berhasil.", refTrx="TRX-1")


@dataclass
class FakeDigisign:
    """Answers each endpoint with its next scripted answer and records every call.

    A call nobody scripted fails the test: an activity must not make calls the
    test did not expect (a second, charged send above all).
    """

    script: defaultdict[Endpoint, list[Answer]] = field(default_factory=lambda: defaultdict(list))
    requests: list[httpx.Request] = field(default_factory=list)

    def answer(self, endpoint: Endpoint, *answers: Answer) -> None:
        self.script[endpoint].extend(answers)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        endpoint = Endpoint(request.url.path)
        if not self.script[endpoint]:
            raise AssertionError(f"unexpected call to {endpoint.name}")
        return self.script[endpoint].pop(0)(request)

    @property
    def calls(self) -> list[Endpoint]:
        return [Endpoint(request.url.path) for request in self.requests]


def parts_of(request: httpx.Request) -> dict[str, bytes]:
    """The multipart parts of `request`: form field name → content."""
    head = b"Content-Type: " + request.headers["content-type"].encode() + b"\r\n\r\n"
    message = email.message_from_bytes(head + request.content, policy=email.policy.HTTP)
    parts: dict[str, bytes] = {}
    for part in message.walk():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            parts[name] = payload
    return parts


def jsonfield_of(request: httpx.Request) -> dict[str, Any]:
    """The `JSONFile` object a request carried."""
    inner: dict[str, Any] = json.loads(parts_of(request)["jsonfield"])["JSONFile"]
    return inner


# --- the activities under test ------------------------------------------------------


@dataclass
class World:
    digisign: FakeDigisign
    blobs: FilesystemBlobStore
    root: Path
    activities: DigisignActivities
    env: ActivityEnvironment

    async def run(self, activity: Callable[[Any], Awaitable[R]], arg: Any) -> R:
        return await self.env.run(activity, arg)

    async def fail(self, activity: Callable[[Any], Awaitable[Any]], arg: Any) -> ApplicationError:
        """Run `activity`, expecting an `ApplicationError` that leaks nothing personal."""
        with pytest.raises(ApplicationError) as caught:
            await self.run(activity, arg)
        assert_no_secrets(caught.value)
        return caught.value

    def retried(self) -> None:
        """Make the next runs Temporal's second attempt of the activity."""
        self.env.info = dataclasses.replace(self.env.info, attempt=2)


def assert_no_secrets(error: ApplicationError) -> None:
    """Neither the error nor the failure Temporal would record names the token, NIK or phone."""
    failure = Failure()
    converter = pydantic_data_converter
    converter.failure_converter.to_failure(error, converter.payload_converter, failure)
    text = f"{error} {error.message} {error.details!r} {failure}"
    for secret in (TOKEN, NIK, PHONE):
        assert secret not in text
    # The original exception may hold the httpx request (the NIK is in its body):
    # it must not travel into history as the failure's cause.
    assert not failure.HasField("cause")


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    digisign = FakeDigisign()
    root = tmp_path / "blobs"
    async with httpx.AsyncClient(transport=httpx.MockTransport(digisign)) as http:
        client = DigisignClient(
            DigisignConfig(base_url=BASE, token=TOKEN, userid=USERID), http=http
        )
        blobs = FilesystemBlobStore(root)
        yield World(digisign, blobs, root, DigisignActivities(client, blobs), ActivityEnvironment())


async def registration(world: World, *, selfie: bytes = JPEG, ktp: bytes = PNG) -> RegisterInput:
    """A registration whose photos are in the blob store."""
    return RegisterInput(
        registrant=Registrant(
            name="test registrasi",
            gender="laki-laki",
            birth_date="10-03-1978",
            birth_place="pekalongan",
            nik=NIK,
            email=EMAIL,
            phone=PHONE,
            ktp_photo=await world.blobs.put("photos/ktp.png", ktp, content_type="image/png"),
            selfie=await world.blobs.put("photos/selfie.jpg", selfie, content_type="image/jpeg"),
        )
    )


async def sending(world: World, *, reconcile: bool = False) -> SendInput:
    """A one-signer send of document `doc1`, whose PDF is in the blob store."""
    return SendInput(
        document_id="doc1",
        document=await world.blobs.put("uploads/doc1.pdf", PDF, content_type="application/pdf"),
        req_sign=(
            Signer(name="test1", email=EMAIL, box=SignBox(page=1, llx=10, lly=10, urx=90, ury=40)),
        ),
        reconcile=reconcile,
    )


async def downloading(world: World) -> DownloadInput:
    """Download `doc1`, whose unsigned upload is in the blob store."""
    original = await world.blobs.put("uploads/doc1.pdf", PDF, content_type="application/pdf")
    return DownloadInput(document_id="doc1", original=original)


NEW_USER = envelope(
    result="00",
    notif="Berhasil, silahkan check email untuk aktivasi akun anda.",
    kode_user="230500000000273",
    expired_aktifasi="17-12-2022 09:00:21 WIB",
)


# --- register -----------------------------------------------------------------------


async def test_register_uploads_the_photos_from_the_blob_store_and_returns_the_kind(
    world: World,
) -> None:
    world.digisign.answer(Endpoint.REGISTER, NEW_USER)

    result = await world.run(world.activities.register, await registration(world))

    assert result.kind is RegistrationKind.NEW
    assert result.kode_user == "230500000000273"
    assert result.expired_aktifasi == datetime(2022, 12, 17, 9, 0, 21, tzinfo=WIB)
    (request,) = world.digisign.requests
    parts = parts_of(request)
    assert (parts["fotoktp"], parts["fotodiri"]) == (PNG, JPEG)
    assert jsonfield_of(request)["idktp"] == NIK


async def test_register_answered_91_fails_as_retry_later_for_the_workflow_timer(
    world: World,
) -> None:
    world.digisign.answer(Endpoint.REGISTER, envelope(result="91", notif="system timeout"))

    error = await world.fail(world.activities.register, await registration(world))

    assert error.type == "RetryLater"
    assert error.non_retryable
    assert error_details(error).result == "91"


async def test_failed_identity_check_is_a_final_verification_failed_naming_the_checks(
    world: World,
) -> None:
    world.digisign.answer(
        Endpoint.REGISTER,
        envelope(
            result="12",
            notif="verifikasi user gagal.",
            data={"nik": True, "name": False, "birthdate": True, "selfie": False},
        ),
    )

    error = await world.fail(world.activities.register, await registration(world))

    assert error.type == "VerificationFailed"
    assert error.non_retryable
    assert error_details(error).checks == ["name", "selfie"]


async def test_nik_registered_elsewhere_names_the_conflict_but_not_the_registered_email(
    world: World,
) -> None:
    world.digisign.answer(
        Endpoint.REGISTER,
        envelope(result="14", notif="NIK sudah terdaftar", email_registered="other@example.com"),
    )

    error = await world.fail(world.activities.register, await registration(world))

    assert error.type == "AlreadyRegisteredElsewhere"
    assert error_details(error).conflict == "nik"
    assert "other@example.com" not in f"{error} {error.details!r}"


async def test_register_without_an_answer_is_a_retryable_transport_error(world: World) -> None:
    world.digisign.answer(Endpoint.REGISTER, refused_connection)

    error = await world.fail(world.activities.register, await registration(world))

    assert error.type == "TransportError"
    assert not error.non_retryable


async def test_oversized_selfie_is_invalid_input_naming_the_field_and_nothing_is_sent(
    world: World,
) -> None:
    too_large = JPEG[:-2] + b"\x00" * SELFIE_MAX_BYTES + JPEG[-2:]

    error = await world.fail(world.activities.register, await registration(world, selfie=too_large))

    assert error.type == "InvalidInput"
    assert error.non_retryable
    assert error_details(error).fields == ["selfie"]
    assert "selfie" in error.message
    assert world.digisign.calls == []


async def test_missing_photo_is_a_retryable_blob_unavailable_and_nothing_is_sent(
    world: World,
) -> None:
    data = await registration(world)
    (world.root / "photos" / "selfie.jpg").unlink()

    error = await world.fail(world.activities.register, data)

    assert error.type == "BlobUnavailable"
    assert not error.non_retryable
    assert data.registrant.selfie in error.message
    assert world.digisign.calls == []


# --- links --------------------------------------------------------------------------


async def test_activation_link_returns_the_repaired_link(world: World) -> None:
    raw = "https://\\wv.tandatanganku.com\\activationpage.html?act=abc"
    world.digisign.answer(Endpoint.ACTIVATION_LINK, envelope(result="00", link=raw))

    result = await world.run(world.activities.activation_link, ActivationLinkInput(email=EMAIL))

    assert result.link == "https://wv.tandatanganku.com/activationpage.html?act=abc"
    assert not result.already_active


async def test_activation_link_answered_14_means_the_signer_already_activated(
    world: World,
) -> None:
    world.digisign.answer(Endpoint.ACTIVATION_LINK, envelope(result="14", notif="user sudah aktif"))

    result = await world.run(world.activities.activation_link, ActivationLinkInput(email=EMAIL))

    assert result.already_active
    assert result.link is None


async def test_sign_link_answered_already_signed_means_the_signer_signed(world: World) -> None:
    world.digisign.answer(
        Endpoint.SIGN_LINK, envelope(result="05", notif="user telah menandatangani dokumen ini")
    )

    result = await world.run(
        world.activities.sign_link, SignLinkInput(document_id="doc1", email=EMAIL)
    )

    assert result.already_signed
    assert result.link is None


async def test_sign_link_not_yet_their_turn_stays_a_not_found_error(world: World) -> None:
    world.digisign.answer(Endpoint.SIGN_LINK, envelope(result="05", notif="belum waktunya"))

    error = await world.fail(
        world.activities.sign_link, SignLinkInput(document_id="doc1", email=EMAIL)
    )

    assert error.type == "NotFound"
    assert error_details(error).reason == "not_yet_their_turn"


# --- send_document ------------------------------------------------------------------


async def test_first_send_posts_the_pdf_from_the_blob_store_once(world: World) -> None:
    world.digisign.answer(Endpoint.SEND_DOCUMENT, SENT)

    result = await world.run(world.activities.send_document, await sending(world))

    assert result.ref_trx == "TRX-1"
    assert not result.already_there
    assert world.digisign.calls == [Endpoint.SEND_DOCUMENT]
    assert parts_of(world.digisign.requests[0])["file"] == PDF


async def test_reconciling_send_finds_the_document_and_does_not_send_again(world: World) -> None:
    world.digisign.answer(Endpoint.DOWNLOAD_BASE64, base64_pdf(PDF))

    result = await world.run(world.activities.send_document, await sending(world, reconcile=True))

    assert result.already_there
    assert world.digisign.calls == [Endpoint.DOWNLOAD_BASE64]


async def test_reconciling_send_sends_when_digisign_has_no_such_file(world: World) -> None:
    world.digisign.answer(Endpoint.DOWNLOAD_BASE64, FILE_NOT_FOUND)
    world.digisign.answer(Endpoint.SEND_DOCUMENT, SENT)

    result = await world.run(world.activities.send_document, await sending(world, reconcile=True))

    assert not result.already_there
    assert result.ref_trx == "TRX-1"
    assert world.digisign.calls == [Endpoint.DOWNLOAD_BASE64, Endpoint.SEND_DOCUMENT]


async def test_retried_attempt_of_send_reconciles_before_sending(world: World) -> None:
    world.digisign.answer(Endpoint.DOWNLOAD_BASE64, base64_pdf(PDF))
    world.retried()

    result = await world.run(world.activities.send_document, await sending(world))

    assert result.already_there
    assert world.digisign.calls == [Endpoint.DOWNLOAD_BASE64]


async def test_document_id_in_use_on_a_repeated_send_means_it_was_sent(world: World) -> None:
    world.digisign.answer(Endpoint.DOWNLOAD_BASE64, FILE_NOT_FOUND)
    world.digisign.answer(
        Endpoint.SEND_DOCUMENT, envelope(result="17", notif="document_id sudah digunakan")
    )

    result = await world.run(world.activities.send_document, await sending(world, reconcile=True))

    assert result.already_there


async def test_document_id_in_use_on_a_first_send_is_a_final_error(world: World) -> None:
    world.digisign.answer(
        Endpoint.SEND_DOCUMENT, envelope(result="17", notif="document_id sudah digunakan")
    )

    error = await world.fail(world.activities.send_document, await sending(world))

    assert error.type == "DocumentIdInUse"
    assert error.non_retryable
    assert world.digisign.calls == [Endpoint.SEND_DOCUMENT]


# --- download_signed ----------------------------------------------------------------


async def test_download_stores_the_signed_pdf_and_returns_its_fingerprint(world: World) -> None:
    world.digisign.answer(Endpoint.DOWNLOAD_BASE64, base64_pdf(SIGNED_PDF))

    result = await world.run(world.activities.download_signed, await downloading(world))

    assert result.ref == world.blobs.ref("signed/doc1.pdf")
    assert (world.root / "signed" / "doc1.pdf").read_bytes() == SIGNED_PDF
    assert result.sha256 == hashlib.sha256(SIGNED_PDF).hexdigest()
    assert result.size == len(SIGNED_PDF)
    assert world.digisign.calls == [Endpoint.DOWNLOAD_BASE64]


async def test_download_falls_back_to_the_raw_endpoint_when_base64_fails(world: World) -> None:
    not_a_pdf = base64_pdf(b"<html>maintenance</html>")  # an UnexpectedResponse
    world.digisign.answer(Endpoint.DOWNLOAD_BASE64, not_a_pdf)
    world.digisign.answer(Endpoint.DOWNLOAD, raw_pdf(SIGNED_PDF))

    result = await world.run(world.activities.download_signed, await downloading(world))

    assert world.digisign.calls == [Endpoint.DOWNLOAD_BASE64, Endpoint.DOWNLOAD]
    assert (world.root / "signed" / "doc1.pdf").read_bytes() == SIGNED_PDF
    assert result.sha256 == hashlib.sha256(SIGNED_PDF).hexdigest()


async def test_download_of_the_unchanged_upload_raises_a_retryable_error_and_stores_nothing(
    world: World,
) -> None:
    world.digisign.answer(Endpoint.DOWNLOAD_BASE64, base64_pdf(PDF))

    with pytest.raises(DocumentUnchanged) as caught:
        await world.run(world.activities.download_signed, await downloading(world))

    # Not an ApplicationError: Temporal retries it under the activity's policy.
    assert not isinstance(caught.value, ApplicationError)
    assert not (world.root / "signed").exists()


async def test_download_answered_91_is_retry_later_without_the_fallback(world: World) -> None:
    world.digisign.answer(Endpoint.DOWNLOAD_BASE64, envelope(result="91", notif="system timeout"))

    error = await world.fail(world.activities.download_signed, await downloading(world))

    assert error.type == "RetryLater"
    assert world.digisign.calls == [Endpoint.DOWNLOAD_BASE64]


# --- change_contact -----------------------------------------------------------------


async def test_change_contact_sends_old_and_new_email_and_phone(world: World) -> None:
    world.digisign.answer(Endpoint.UPDATE_CONTACT, envelope(result="00", notif="Update berhasil"))

    await world.run(
        world.activities.change_contact,
        ContactChangeInput(
            old_email=EMAIL, new_email=NEW_EMAIL, old_phone=PHONE, new_phone=NEW_PHONE
        ),
    )

    (request,) = world.digisign.requests
    assert jsonfield_of(request) == {
        "userid": USERID,
        "email_lama": EMAIL,
        "email_baru": NEW_EMAIL,
        "nohp_lama": PHONE,
        "nohp_baru": NEW_PHONE,
    }


async def test_refused_contact_change_names_neither_the_old_nor_the_new_phone(
    world: World,
) -> None:
    world.digisign.answer(
        Endpoint.UPDATE_CONTACT, envelope(result="08", notif="nomor hp lama tidak sesuai")
    )

    error = await world.fail(
        world.activities.change_contact,
        ContactChangeInput(
            old_email=EMAIL, new_email=NEW_EMAIL, old_phone=PHONE, new_phone=NEW_PHONE
        ),
    )

    assert error.type == "ContactChangeRejected"
    assert NEW_PHONE not in f"{error} {error.details!r}"
