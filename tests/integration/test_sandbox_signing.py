"""genSignPage and the sign page over HTTP: order, lifetime, rejection, certificates, the PDF."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from digisign import errors as e
from digisign.cipher import RedirectCipher
from digisign.client import DigisignClient
from digisign.redirects import DocumentStatus, decode_sign_redirect
from digisign.requests import DownloadRequest, SignLinkRequest, Viewer
from digisign.results import RegistrationKind
from sandbox import notifs, pdf
from sandbox.robot import SignerRobot
from tests.integration import flows, harness
from tests.integration.conftest import StartSandbox
from tests.integration.harness import Admin, People, Person, Receiver, RunningSandbox

TWENTY_MINUTES = 20 * 60
CIPHER = RedirectCipher(harness.PARTNER_KEY)


@pytest.fixture
async def pair(
    digisign: DigisignClient, robot: SignerRobot, people: People
) -> tuple[Person, Person]:
    """Two activated signers."""
    first, second = people("Siti Rahma"), people("Budi Santoso")
    for person in (first, second):
        await flows.onboard(digisign, robot, person)
    return first, second


async def send_in_sequence(
    digisign: DigisignClient, pair: tuple[Person, Person], sample_pdf: bytes, **changes: object
) -> None:
    first, second = pair
    signers = [flows.signer(first, 0, seq=1), flows.signer(second, 1, seq=2)]
    await flows.send(digisign, "doc-1", sample_pdf, signers, sequence_option=True, **changes)


async def test_signers_sign_in_turn_and_the_download_shows_both_signatures(
    digisign: DigisignClient,
    robot: SignerRobot,
    receiver: Receiver,
    admin: Admin,
    pair: tuple[Person, Person],
    sample_pdf: bytes,
) -> None:
    first, second = pair
    await send_in_sequence(digisign, pair, sample_pdf)

    signed_first = await flows.sign(digisign, robot, "doc-1", first)
    redirect = decode_sign_redirect(CIPHER, signed_first.msg or "")
    assert (redirect.document_id, redirect.email_user) == ("doc-1", first.email)
    assert redirect.signed
    assert redirect.status_document is DocumentStatus.WAITING
    partial = await digisign.download(DownloadRequest(document_id="doc-1"))
    assert first.name in pdf.page_text(partial.content, 2)
    assert second.name not in pdf.page_text(partial.content, 2)

    signed_second = await flows.sign(digisign, robot, "doc-1", second)
    assert decode_sign_redirect(CIPHER, signed_second.msg or "").status_document is (
        DocumentStatus.COMPLETE
    )
    final = await digisign.download(DownloadRequest(document_id="doc-1"))
    text = pdf.page_text(final.content, 2)
    assert first.name in text
    assert second.name in text
    assert text.count("Ditandatangani secara elektronik oleh") == 2
    assert final.content != sample_pdf
    assert pdf.page_count(final.content) == 2
    document = await admin.get("documents/doc-1")
    assert document["status"] == "complete"
    assert [s["status"] for s in document["signers"]] == ["signed", "signed"]
    copies = receiver.wait_for(4, kind="sign")
    assert sorted(copy.from_server for copy in copies) == [False, False, True, True]
    assert {copy.msg for copy in copies} == {signed_first.msg, signed_second.msg}


async def test_an_early_signer_is_answered_05_belum_waktunya(
    digisign: DigisignClient, pair: tuple[Person, Person], sample_pdf: bytes
) -> None:
    await send_in_sequence(digisign, pair, sample_pdf)
    with pytest.raises(e.NotFound) as raised:
        await flows.sign_link(digisign, "doc-1", pair[1])
    assert raised.value.notif == notifs.NOT_YET_THEIR_TURN
    assert raised.value.reason is e.NotFoundReason.NOT_YET_THEIR_TURN


async def test_with_early_links_allowed_the_page_answers_406_until_the_turn_comes(
    start_sandbox: StartSandbox,
    http: httpx.AsyncClient,
    robot: SignerRobot,
    people: People,
    sample_pdf: bytes,
) -> None:
    running = start_sandbox(early_sign_links="page")
    digisign = DigisignClient(running.client_config(), http=http)
    first, second = people(), people()
    for person in (first, second):
        await flows.onboard(digisign, robot, person)
    await send_in_sequence(digisign, (first, second), sample_pdf)
    early = await flows.sign_link(digisign, "doc-1", second)
    page = await http.get(early)
    assert page.status_code == 406
    await flows.sign(digisign, robot, "doc-1", first)
    assert (await robot.sign(early)).msg is not None


async def test_without_sequence_signers_sign_in_any_order_even_at_once(
    digisign: DigisignClient, robot: SignerRobot, pair: tuple[Person, Person], sample_pdf: bytes
) -> None:
    first, second = pair
    signers = [flows.signer(first, 0), flows.signer(second, 1)]
    await flows.send(digisign, "doc-1", sample_pdf, signers)
    links = [await flows.sign_link(digisign, "doc-1", person) for person in (second, first)]
    async with httpx.AsyncClient(timeout=10) as other_browser:
        outcomes = await asyncio.gather(
            robot.sign(links[0]), SignerRobot(other_browser).sign(links[1])
        )
    assert all(outcome.msg for outcome in outcomes)
    text = pdf.page_text((await digisign.download(DownloadRequest(document_id="doc-1"))).content, 2)
    assert first.name in text
    assert second.name in text


async def test_a_sign_link_works_once(
    digisign: DigisignClient, robot: SignerRobot, pair: tuple[Person, Person], sample_pdf: bytes
) -> None:
    await flows.send(digisign, "doc-1", sample_pdf, [flows.signer(pair[0], 0)])
    link = await flows.sign_link(digisign, "doc-1", pair[0])
    assert (await robot.sign(link)).msg is not None
    assert (await robot.sign(link)).status_code == 401


async def test_a_sign_link_expires_after_twenty_minutes(
    digisign: DigisignClient,
    robot: SignerRobot,
    admin: Admin,
    pair: tuple[Person, Person],
    sample_pdf: bytes,
) -> None:
    await flows.send(
        digisign, "doc-1", sample_pdf, [flows.signer(pair[0], 0), flows.signer(pair[1], 1)]
    )
    stale = await flows.sign_link(digisign, "doc-1", pair[0])
    await admin.advance_clock(TWENTY_MINUTES - 2)
    fresh = await flows.sign_link(digisign, "doc-1", pair[1])
    assert (await robot.sign(stale)).msg is not None
    await admin.advance_clock(TWENTY_MINUTES)
    assert (await robot.sign(fresh)).status_code == 408


async def test_an_unknown_sign_token_answers_404(
    sandbox: RunningSandbox, http: httpx.AsyncClient
) -> None:
    page = await http.get(f"{sandbox.base_url}/signingpage.html?sgn=bm90LWEtdG9rZW4%3D")
    assert page.status_code == 404


async def test_a_rejection_redirects_with_the_rejection_notif_and_ends_the_document(
    digisign: DigisignClient,
    robot: SignerRobot,
    admin: Admin,
    pair: tuple[Person, Person],
    sample_pdf: bytes,
) -> None:
    first, second = pair
    await flows.send(
        digisign, "doc-1", sample_pdf, [flows.signer(first, 0), flows.signer(second, 1)]
    )
    second_link = await flows.sign_link(digisign, "doc-1", second)

    outcome = await robot.reject(await flows.sign_link(digisign, "doc-1", first))

    redirect = decode_sign_redirect(CIPHER, outcome.msg or "")
    assert redirect.rejected
    assert redirect.notif == notifs.REJECTED
    assert (await admin.get("documents/doc-1"))["status"] == "rejected"
    assert (await robot.sign(second_link)).status_code == 401
    with pytest.raises(e.NotFound) as raised:
        await flows.sign_link(digisign, "doc-1", second)
    assert raised.value.notif == notifs.DOCUMENT_REJECTED


async def test_an_expired_certificate_gets_the_reregistration_page_and_no_signature(
    digisign: DigisignClient,
    robot: SignerRobot,
    receiver: Receiver,
    admin: Admin,
    pair: tuple[Person, Person],
    sample_pdf: bytes,
) -> None:
    first = pair[0]
    await flows.send(digisign, "doc-1", sample_pdf, [flows.signer(first, 0)])
    await admin.set_certificate(first.email, "expired")
    redirects_before = len(receiver.received())

    outcome = await flows.sign(digisign, robot, "doc-1", first)

    assert (outcome.status_code, outcome.msg) == (200, None)
    assert "Pendaftaran Ulang akun DigiSign" in outcome.page_text
    document = await admin.get("documents/doc-1")
    assert document["signers"][0]["status"] == "waiting"
    assert [m["kind"] for m in await admin.get("outbox")].count("reregistration") == 1
    await asyncio.sleep(0.1)
    assert len(receiver.received()) == redirects_before

    again = await flows.register(digisign, first)
    assert again.kind is RegistrationKind.REREGISTERED
    assert (await flows.sign(digisign, robot, "doc-1", first)).msg is not None


@pytest.mark.parametrize(
    ("payment", "charged"),
    [("3", {"document": 1, "signature": 0}), ("2", {"document": 0, "signature": 2})],
)
async def test_payment_3_charges_the_document_and_payment_2_each_signature(
    digisign: DigisignClient,
    robot: SignerRobot,
    admin: Admin,
    pair: tuple[Person, Person],
    sample_pdf: bytes,
    payment: str,
    charged: dict[str, int],
) -> None:
    await send_in_sequence(digisign, pair, sample_pdf, payment=payment)
    assert (await admin.totals())["signature"] == 0
    for person in pair:
        await flows.sign(digisign, robot, "doc-1", person)
    totals = await admin.totals()
    assert {kind: totals[kind] for kind in charged} == charged


async def test_view_only_links_open_the_view_page_for_viewers_and_signers(
    sandbox: RunningSandbox,
    digisign: DigisignClient,
    http: httpx.AsyncClient,
    pair: tuple[Person, Person],
    people: People,
    sample_pdf: bytes,
) -> None:
    first = pair[0]
    viewer = people()
    await flows.send(
        digisign,
        "doc-1",
        sample_pdf,
        [flows.signer(first, 0)],
        send_to=(Viewer(name=viewer.name, email=viewer.email),),
    )
    for person in (viewer, first):
        request = SignLinkRequest(document_id="doc-1", email_user=person.email, view_only=True)
        link = (await digisign.sign_link(request)).link
        assert link.startswith(f"{sandbox.base_url}/viewpage.html?view=")
        page = await http.get(link)
        assert page.status_code == 200
        assert "doc-1" in page.text
    stranger = SignLinkRequest(document_id="doc-1", email_user=pair[1].email, view_only=True)
    with pytest.raises(e.NotFound) as raised:
        await digisign.sign_link(stranger)
    assert raised.value.reason is e.NotFoundReason.NOT_A_SIGNER


# --- every genSignPage 05, against one prepared sandbox ------------------------------


SIGN_LINK_CASES = [
    ("unknown-document", "missing", "first", notifs.DOCUMENT_NOT_FOUND, e.NotFoundReason.DOCUMENT),
    ("unknown-user", "signed", "stranger", notifs.USER_NOT_FOUND, e.NotFoundReason.USER),
    (
        "not-activated",
        "signed",
        "registered",
        notifs.USER_NOT_ACTIVATED,
        e.NotFoundReason.USER_NOT_ACTIVATED,
    ),
    ("not-a-signer", "signed", "bystander", notifs.NOT_A_SIGNER, e.NotFoundReason.NOT_A_SIGNER),
    ("already-signed", "signed", "first", notifs.ALREADY_SIGNED, e.NotFoundReason.ALREADY_SIGNED),
    (
        "not-yet",
        "fresh",
        "second",
        notifs.NOT_YET_THEIR_TURN,
        e.NotFoundReason.NOT_YET_THEIR_TURN,
    ),
]


@pytest.fixture(scope="module")
def prepared(sample_pdf: bytes) -> Iterator[tuple[RunningSandbox, dict[str, Person]]]:
    """A sandbox with documents "signed" (first has signed) and "fresh" (nobody has)."""
    team = harness.People()
    cast = {name: team() for name in ("first", "second", "bystander", "registered", "stranger")}

    async def prepare(running: RunningSandbox) -> None:
        async with httpx.AsyncClient(timeout=10) as http:
            digisign = DigisignClient(running.client_config(), http=http)
            robot = SignerRobot(http)
            for name in ("first", "second", "bystander"):
                await flows.onboard(digisign, robot, cast[name])
            await flows.register(digisign, cast["registered"])
            signers = [
                flows.signer(cast["first"], 0, seq=1),
                flows.signer(cast["second"], 1, seq=2),
            ]
            for document_id in ("signed", "fresh"):
                await flows.send(digisign, document_id, sample_pdf, signers, sequence_option=True)
            await flows.sign(digisign, robot, "signed", cast["first"])

    with harness.start_sandbox(sign_redirect_url="/_sandbox/receiver/sign") as running:
        asyncio.run(prepare(running))
        yield running, cast


@pytest.fixture
async def prepared_client(
    prepared: tuple[RunningSandbox, dict[str, Person]],
) -> AsyncIterator[DigisignClient]:
    async with prepared[0].client() as client:
        yield client


@pytest.mark.parametrize(
    ("document_id", "who", "notif", "reason"),
    [case[1:] for case in SIGN_LINK_CASES],
    ids=[case[0] for case in SIGN_LINK_CASES],
)
async def test_every_sign_link_refusal_is_a_05_told_apart_by_its_notif(
    prepared: tuple[RunningSandbox, dict[str, Person]],
    prepared_client: DigisignClient,
    document_id: str,
    who: str,
    notif: str,
    reason: e.NotFoundReason,
) -> None:
    person = prepared[1][who]
    request = SignLinkRequest(document_id=document_id, email_user=person.email)
    with pytest.raises(e.NotFound) as raised:
        await prepared_client.sign_link(request)
    assert (raised.value.result, raised.value.notif, raised.value.reason) == ("05", notif, reason)
