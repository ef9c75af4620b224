"""SendDocMitraAT, DWMITRA and DWMITRA64 over HTTP: checks in order, charges, downloads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from digisign import errors as e
from digisign.client import DigisignClient
from digisign.endpoints import Endpoint
from digisign.requests import DownloadBase64Request, DownloadRequest, MeteraiPosition
from sandbox import notifs, pdf
from sandbox.agreement import SIGNATURE_AREAS
from sandbox.robot import SignerRobot
from tests.integration import flows, harness
from tests.integration.conftest import StartSandbox
from tests.integration.harness import Admin, People, Person, RawRequest, RunningSandbox

STAMP = {"llx": "70", "lly": "120", "urx": "190", "ury": "200", "page": "2"}
NOBODY = harness.People()()


def entry(person: Person = NOBODY, area: int = 0, **changes: Any) -> dict[str, Any]:
    """A ``req-sign`` entry as Digisign's example writes it (every value a string)."""
    llx, lly, urx, ury = SIGNATURE_AREAS[area]
    fields = {
        "name": person.name,
        "email": person.email,
        "user": "ttd1",
        "page": "2",
        "llx": str(llx),
        "lly": str(lly),
        "urx": str(urx),
        "ury": str(ury),
        "visible": "1",
    }
    fields.update(changes)
    return fields


def send_request(
    upload: bytes | None, *, signers: list[dict[str, Any]] | None = None, **changes: Any
) -> RawRequest:
    """A raw send-document request."""
    fields: dict[str, Any] = {
        "document_id": "doc-1",
        "payment": "3",
        "redirect": True,
        "req-sign": signers if signers is not None else [entry()],
    }
    fields.update(changes)
    fields = {key: value for key, value in fields.items() if value is not None}
    parts = {"file": ("document.pdf", upload, "application/pdf")} if upload is not None else {}
    return RawRequest(Endpoint.SEND_DOCUMENT, fields, parts)


@pytest.fixture(scope="module")
def shared() -> Iterator[RunningSandbox]:
    """One sandbox for requests refused before any signer is looked at."""
    with harness.start_sandbox(sign_redirect_url="http://127.0.0.1:9/sign") as running:
        yield running


OVERLAPPING = entry(area=0, email="other@borrower.test")
# (id, request changes, upload kind, code, error, notif, info)
REFUSED: list[tuple[str, dict[str, Any], str, str, type[e.ApiError], str, str | None]] = [
    ("not-a-pdf", {}, "text", "FE", e.InvalidRequest, notifs.NOT_A_PDF, None),
    ("no-file", {}, "none", "FE", e.InvalidRequest, notifs.NOT_A_PDF, None),
    ("broken-pdf", {}, "broken", "FE", e.InvalidRequest, notifs.NOT_A_PDF, None),
    (
        "pdf-checked-first",
        {"document_id": ""},
        "text",
        "FE",
        e.InvalidRequest,
        notifs.NOT_A_PDF,
        None,
    ),
    ("empty-id", {"document_id": ""}, "pdf", "05", e.NotFound, notifs.DOCUMENT_ID_EMPTY, None),
    ("no-id", {"document_id": None}, "pdf", "05", e.NotFound, notifs.DOCUMENT_ID_EMPTY, None),
    ("no-req-sign", {"req-sign": None}, "pdf", "05", e.NotFound, notifs.REQ_SIGN_MISSING, None),
    ("empty-req-sign", {"req-sign": []}, "pdf", "05", e.NotFound, notifs.REQ_SIGN_MISSING, None),
    (
        "seq-missing",
        {"sequence_option": True},
        "pdf",
        "FE",
        e.InvalidRequest,
        notifs.SIGNING_SEQ_MISSING,
        None,
    ),
    (
        "page-beyond",
        {"req-sign": [entry(page="3")]},
        "pdf",
        "FE",
        e.InvalidRequest,
        notifs.PAGE_BEYOND_DOCUMENT,
        None,
    ),
    (
        "stamp-beyond",
        {"meterai-positions": [{**STAMP, "page": "9"}], "document_type": "3"},
        "pdf",
        "FE",
        e.InvalidRequest,
        notifs.PAGE_BEYOND_DOCUMENT,
        None,
    ),
    (
        "bad-type",
        {"req-sign": [entry(user="xyz1")]},
        "pdf",
        "FE",
        e.InvalidRequest,
        notifs.SIGNATURE_TYPE_FORMAT,
        None,
    ),
    (
        "bad-number",
        {"req-sign": [entry(llx="left")]},
        "pdf",
        "28",
        e.InvalidRequest,
        notifs.REQUEST_INCOMPLETE,
        None,
    ),
    (
        "bad-payment",
        {"payment": "5"},
        "pdf",
        "28",
        e.InvalidRequest,
        notifs.REQUEST_INCOMPLETE,
        None,
    ),
    (
        "overlap",
        {"req-sign": [entry(), OVERLAPPING]},
        "pdf",
        "03",
        e.OverlappingBoxes,
        notifs.SEND_FAILED,
        notifs.SIGNATURES_OVERLAP_INFO,
    ),
    (
        "stamp-overlap",
        {"meterai-positions": [{**STAMP, "llx": "80", "lly": "470"}], "document_type": "3"},
        "pdf",
        "03",
        e.OverlappingBoxes,
        notifs.SEND_FAILED,
        notifs.SIGNATURE_METERAI_OVERLAP_INFO,
    ),
]


@pytest.mark.parametrize(
    ("changes", "upload", "code", "error", "notif", "info"),
    [case[1:] for case in REFUSED],
    ids=[case[0] for case in REFUSED],
)
async def test_a_document_the_server_refuses_is_answered_with_its_code_and_text(
    shared_client: DigisignClient,
    sample_pdf: bytes,
    changes: dict[str, Any],
    upload: str,
    code: str,
    error: type[e.ApiError],
    notif: str,
    info: str | None,
) -> None:
    content = {
        "pdf": sample_pdf,
        "text": b"hello, not a pdf",
        "broken": b"%PDF-1.7\nthis is no PDF at all\n",
        "none": None,
    }[upload]
    with pytest.raises(error) as raised:
        await shared_client.send_document(send_request(content, **changes))  # type: ignore[arg-type]
    assert (raised.value.result, raised.value.notif, raised.value.info) == (code, notif, info)


async def test_a_partner_without_a_sign_redirect_url_is_answered_08(
    start_sandbox: StartSandbox, http: httpx.AsyncClient, sample_pdf: bytes
) -> None:
    running = start_sandbox(sign_redirect_url="")
    digisign = DigisignClient(running.client_config(), http=http)
    with pytest.raises(e.RedirectNotConfigured) as raised:
        await digisign.send_document(send_request(sample_pdf))  # type: ignore[arg-type]
    assert raised.value.notif == notifs.NO_REDIRECT_LINK


async def test_a_signer_unknown_to_digisign_is_answered_05_user(
    digisign: DigisignClient, people: People, sample_pdf: bytes
) -> None:
    with pytest.raises(e.NotFound) as raised:
        await flows.send(digisign, "doc-1", sample_pdf, [flows.signer(people(), 0)])
    assert raised.value.reason is e.NotFoundReason.USER


async def test_a_signer_not_yet_activated_is_answered_05_not_activated(
    digisign: DigisignClient, people: People, sample_pdf: bytes
) -> None:
    person = people()
    await flows.register(digisign, person)
    with pytest.raises(e.NotFound) as raised:
        await flows.send(digisign, "doc-1", sample_pdf, [flows.signer(person, 0)])
    assert raised.value.reason is e.NotFoundReason.USER_NOT_ACTIVATED


@pytest.mark.parametrize(
    ("state", "error", "info"),
    [
        ("expired", e.CertificateExpired, notifs.CERTIFICATE_EXPIRED_INFO),
        ("revoked", e.CertificateRevoked, notifs.CERTIFICATE_REVOKED_INFO),
    ],
)
async def test_a_signer_whose_certificate_lapsed_is_answered_15(
    digisign: DigisignClient,
    robot: SignerRobot,
    admin: Admin,
    people: People,
    sample_pdf: bytes,
    state: str,
    error: type[e.CertificateInvalid],
    info: str,
) -> None:
    person = people()
    await flows.onboard(digisign, robot, person)
    await admin.set_certificate(person.email, state)
    with pytest.raises(error) as raised:
        await flows.send(digisign, "doc-1", sample_pdf, [flows.signer(person, 0)])
    assert (raised.value.result, raised.value.info) == ("15", info)
    assert (await admin.totals())["document"] == 0


@pytest.fixture
async def signer(digisign: DigisignClient, robot: SignerRobot, people: People) -> Person:
    """A registered, activated signer."""
    person = people()
    await flows.onboard(digisign, robot, person)
    return person


async def test_a_sent_document_is_acknowledged_and_charged_once(
    digisign: DigisignClient, admin: Admin, signer: Person, sample_pdf: bytes
) -> None:
    sent = await digisign.send_document(
        flows.SendDocumentRequest(
            document_id="doc-1", pdf=sample_pdf, req_sign=(flows.signer(signer, 0),)
        )
    )
    assert sent.notif == notifs.DOCUMENT_SENT
    assert (sent.ref_trx or "").startswith("SNDD")
    totals = await admin.totals()
    assert (totals["document"], totals["signature"]) == (1, 0)
    [document] = await admin.get("documents")
    assert (document["document_id"], document["status"], document["pages"]) == (
        "doc-1",
        "waiting",
        2,
    )


async def test_a_reused_document_id_is_answered_17_by_default(
    digisign: DigisignClient, admin: Admin, signer: Person, sample_pdf: bytes
) -> None:
    await flows.send(digisign, "doc-1", sample_pdf, [flows.signer(signer, 0)])
    with pytest.raises(e.DocumentIdInUse) as raised:
        await flows.send(digisign, "doc-1", sample_pdf, [flows.signer(signer, 1)])
    assert raised.value.notif == notifs.DOCUMENT_ID_IN_USE
    assert (await admin.totals())["document"] == 1


async def test_a_partner_set_to_replace_gets_the_document_replaced_and_charged_again(
    start_sandbox: StartSandbox, http: httpx.AsyncClient, people: People, sample_pdf: bytes
) -> None:
    running = start_sandbox(document_id_reuse="replace")
    digisign = DigisignClient(running.client_config(), http=http)
    admin = Admin(http, running.base_url)
    first, second = people(), people()
    for person in (first, second):
        await flows.onboard(digisign, SignerRobot(http), person)
    await flows.send(digisign, "doc-1", sample_pdf, [flows.signer(first, 0)])
    await flows.send(digisign, "doc-1", sample_pdf, [flows.signer(second, 1)])
    document = await admin.get("documents/doc-1")
    assert [s["email"] for s in document["signers"]] == [second.email]
    assert (await admin.totals())["document"] == 2


@pytest.mark.parametrize(
    ("payment", "balances", "which"),
    [("3", {"document": 0}, "document"), ("2", {"signature": 1}, "signature")],
)
async def test_an_empty_balance_is_answered_61(
    sandbox: RunningSandbox,
    digisign: DigisignClient,
    robot: SignerRobot,
    admin: Admin,
    people: People,
    sample_pdf: bytes,
    payment: str,
    balances: dict[str, int],
    which: str,
) -> None:
    first, second = people(), people()
    for person in (first, second):
        await flows.onboard(digisign, robot, person)
    await admin.set_balances(sandbox.partner.userid, **balances)
    with pytest.raises(e.InsufficientBalance) as raised:
        await flows.send(
            digisign,
            "doc-1",
            sample_pdf,
            [flows.signer(first, 0), flows.signer(second, 1)],
            payment=payment,
        )
    assert (raised.value.result, raised.value.balance) == ("61", which)
    assert await admin.get("documents") == []


@pytest.mark.parametrize("spelling", ["meterai-positions", "meterai_positions"])
async def test_e_meterai_positions_are_stamped_and_charged_in_either_spelling(
    digisign: DigisignClient, admin: Admin, signer: Person, sample_pdf: bytes, spelling: str
) -> None:
    stamps = [STAMP, {**STAMP, "llx": "200", "urx": "300"}]
    request = send_request(
        sample_pdf, signers=[entry(signer)], **{spelling: stamps, "document_type": "3"}
    )
    await digisign.send_document(request)  # type: ignore[arg-type]
    totals = await admin.totals()
    assert (totals["emeterai"], totals["document"]) == (2, 1)
    current = await digisign.download(DownloadRequest(document_id="doc-1"))
    assert pdf.page_text(current.content, 2).count("E-METERAI") == 2


async def test_an_empty_e_meterai_balance_is_answered_61(
    sandbox: RunningSandbox,
    digisign: DigisignClient,
    admin: Admin,
    signer: Person,
    sample_pdf: bytes,
) -> None:
    await admin.set_balances(sandbox.partner.userid, emeterai=0)
    stamp = MeteraiPosition(page=2, llx=70, lly=120, urx=190, ury=200)
    with pytest.raises(e.InsufficientBalance):
        await flows.send(
            digisign,
            "doc-1",
            sample_pdf,
            [flows.signer(signer, 0)],
            meterai_positions=(stamp,),
            document_type="3",
        )
    assert (await admin.totals())["document"] == 0


async def test_downloads_return_the_current_file_before_anyone_signed(
    digisign: DigisignClient, signer: Person, sample_pdf: bytes
) -> None:
    await flows.send(digisign, "doc-1", sample_pdf, [flows.signer(signer, 0)])
    raw = await digisign.download(DownloadRequest(document_id="doc-1"))
    encoded = await digisign.download_base64(DownloadBase64Request(document_id="doc-1"))
    assert raw.content == encoded.content == sample_pdf


async def test_dwmitra64_sends_base64_without_line_breaks(
    sandbox: RunningSandbox,
    digisign: DigisignClient,
    http: httpx.AsyncClient,
    signer: Person,
    sample_pdf: bytes,
) -> None:
    await flows.send(digisign, "doc-1", sample_pdf, [flows.signer(signer, 0)])
    jsonfield = {"JSONFile": {"userid": sandbox.partner.userid, "document_id": "doc-1"}}
    answer = await http.post(
        f"{sandbox.base_url}/DWMITRA64.html",
        files={"jsonfield": (None, json.dumps(jsonfield))},
        headers={"Authorization": f"Bearer {sandbox.partner.token}"},
    )
    body = answer.json()["JSONFile"]
    assert body["result"] == "00"
    assert len(body["file"]) > 76
    assert "\n" not in body["file"]


@pytest.fixture
async def foreign_document(
    start_sandbox: StartSandbox, http: httpx.AsyncClient, people: People, sample_pdf: bytes
) -> DigisignClient:
    """A client of a sandbox where "doc-1" belongs to another partner."""
    other = harness.make_partner(
        userid="other@lender.test", token="other-partner-token", sign_redirect_url="/x"
    )
    running = start_sandbox(other_partners=(other,))
    theirs = DigisignClient(
        running.client_config(token=other.token, userid=other.userid), http=http
    )
    person = people()
    await flows.onboard(theirs, SignerRobot(http), person)
    await flows.send(theirs, "doc-1", sample_pdf, [flows.signer(person, 0)])
    return DigisignClient(running.client_config(), http=http)


async def test_dwmitra_answers_404_for_an_unknown_document(digisign: DigisignClient) -> None:
    with pytest.raises(e.HttpStatusError) as raised:
        await digisign.download(DownloadRequest(document_id="nope"))
    assert raised.value.status_code == 404
    assert raised.value.permanent


async def test_dwmitra_answers_403_for_another_partners_document(
    foreign_document: DigisignClient,
) -> None:
    with pytest.raises(e.HttpStatusError) as raised:
        await foreign_document.download(DownloadRequest(document_id="doc-1"))
    assert raised.value.status_code == 403


async def test_dwmitra64_answers_05_file_not_found_for_an_unknown_document(
    digisign: DigisignClient,
) -> None:
    with pytest.raises(e.NotFound) as raised:
        await digisign.download_base64(DownloadBase64Request(document_id="nope"))
    assert (raised.value.notif, raised.value.reason) == (
        notifs.FILE_NOT_FOUND,
        e.NotFoundReason.FILE,
    )


async def test_dwmitra64_answers_12_for_another_partners_document(
    foreign_document: DigisignClient,
) -> None:
    with pytest.raises(e.AccessDenied) as raised:
        await foreign_document.download_base64(DownloadBase64Request(document_id="doc-1"))
    assert (raised.value.result, raised.value.notif) == ("12", notifs.DOCUMENT_OF_OTHER_PARTNER)


async def test_another_partners_document_id_is_answered_17(
    foreign_document: DigisignClient, robot: SignerRobot, people: People, sample_pdf: bytes
) -> None:
    person = people()
    await flows.onboard(foreign_document, robot, person)
    with pytest.raises(e.DocumentIdInUse):
        await flows.send(foreign_document, "doc-1", sample_pdf, [flows.signer(person, 0)])
