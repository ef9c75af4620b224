"""The signer robot against a small fake of Digisign's pages, over a real HTTP server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from html import escape

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from digisign.cipher import RedirectCipher
from digisign.redirects import DocumentStatus, parse_activation_redirect, parse_sign_redirect
from sandbox.robot import RobotError, RobotOutcome, SignerRobot
from tests.support.servers import free_port, serve

CIPHER = RedirectCipher("0123456789abcdef")
EMAIL = "siti.rahma@example.com"
NIK = "3174094501900002"
ERROR_STATES = {"used": 401, "waiting": 406, "expired": 408}
PAGE_STATES = {"ready", "race", "notice", "relative", "signonly", "done", "temporary", "gone"}


@dataclass
class Submission:
    path: str
    fields: list[tuple[str, str]]
    cookie: str | None
    referer: str | None


@dataclass
class FakeDigisign:
    """Activation and sign pages as the brief describes them, plus the partner's receiver.

    The token names the page's behaviour: "ready-*" is a normal page, the keys of
    ERROR_STATES answer with that status, "race-*" shows the form but answers 401 to
    the submit, "notice-*" is a page without a form, "relative-*" has a relative form
    action, "signonly-*" has no reject button, "done-*" answers the submit without
    redirecting, "temporary-*" redirects with 307, "gone-*" redirects to a dead port.
    """

    base: str = ""
    partner_query: str = ""
    submissions: list[Submission] = field(default_factory=list)
    received: list[tuple[str, str]] = field(default_factory=list)
    """(method, raw query string) of every request that reached the partner's receiver."""
    sent_msgs: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.partner_query = ""
        self.submissions.clear()
        self.received.clear()
        self.sent_msgs.clear()

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/activationpage.html", self.page, methods=["GET"]),
                Route("/activationpage.html", self.submit, methods=["POST"]),
                Route("/signingpage.html", self.page, methods=["GET"]),
                Route("/signingpage.html", self.submit, methods=["POST"]),
                Route("/gen/relative.html", self.page, methods=["GET"]),
                Route("/web/submit.html", self.submit, methods=["POST"]),
                Route("/partner/{kind}", self.receive, methods=["GET", "POST"]),
            ]
        )

    async def page(self, request: Request) -> Response:
        activation = request.url.path == "/activationpage.html"
        field_name = "act" if activation else "sgn"
        token = request.query_params.get(field_name, "")
        state = token.split("-", 1)[0]
        if state in ERROR_STATES:
            return _html(f"Tautan tidak berlaku ({state})", ERROR_STATES[state])
        if state not in PAGE_STATES:
            return _html("Tautan tidak ditemukan", 404)
        if state == "notice":
            return _html("Pendaftaran Ulang akun DigiSign: sertifikat Anda telah kedaluwarsa")
        if activation:
            buttons = '<button id="activate" name="action" value="activate">Aktivasi</button>'
            form_id = "activation-form"
        else:
            buttons = '<button id="sign" name="action" value="sign">Tanda tangan</button>'
            if state != "signonly":
                buttons += '<button id="reject" name="action" value="reject">Tolak</button>'
            form_id = "sign-form"
        action = f' action="../web/submit.html?sgn={token}"' if state == "relative" else ""
        body = (
            f"<h1>DigiSign</h1><p>Silakan periksa dokumen <em>(please review)</em></p>"
            f'<form id="search"><input name="q"><button>Cari</button></form>'
            f'<form id="{form_id}" method="post"{action}>'
            f'<input type="hidden" name="{field_name}" value="{escape(token)}">'
            f'<input type="checkbox" name="agree" value="yes" checked>'
            f'<input type="checkbox" name="newsletter" value="yes">'
            f"{buttons}</form><script>var ignored = 'not page text';</script>"
        )
        response = _html(body)
        response.set_cookie("JSESSIONID", f"session-{token}")
        return response

    async def submit(self, request: Request) -> Response:
        form = await request.form()
        fields = [(key, str(value)) for key, value in form.multi_items()]
        self.submissions.append(
            Submission(
                request.url.path,
                fields,
                request.cookies.get("JSESSIONID"),
                request.headers.get("referer"),
            )
        )
        token = str(form.get("act") or form.get("sgn") or request.query_params.get("sgn", ""))
        if request.cookies.get("JSESSIONID") != f"session-{token}":
            return _html("Sesi tidak dikenal", 403)
        state = token.split("-", 1)[0]
        if state == "race":
            return _html("Tautan sudah digunakan", 401)
        if state == "done":
            return _html("Proses selesai. Silakan tutup halaman ini.")
        action = str(form.get("action"))
        if action == "activate":
            plaintext = {"result": "00", "notif": "Proses Aktivasi Berhasil", "email_user": EMAIL}
            plaintext["nik"] = NIK
            kind = "activation"
        else:
            notif = "Proses tanda tangan berhasil!"
            if action == "reject":
                notif = "Proses Penolakan Dokumen berhasil!"
            plaintext = {
                "document_id": "DOC-0001",
                "status": "0",
                "status_document": "complete" if action == "sign" else "waiting",
                "result": "00",
                "notif": notif,
                "email_user": EMAIL,
            }
            kind = "sign"
        msg = CIPHER.encrypt(json.dumps(plaintext))
        self.sent_msgs.append(msg)
        partner = f"{self.base}/partner/{kind}{self.partner_query}"
        if state == "gone":
            partner = f"http://127.0.0.1:{free_port()}/partner/{kind}"
        separator = "&" if "?" in partner else "?"
        status = 307 if state == "temporary" else 303
        return RedirectResponse(f"{partner}{separator}msg={msg}", status_code=status)

    async def receive(self, request: Request) -> Response:
        self.received.append((request.method, request.scope["query_string"].decode("ascii")))
        return _html("<p>Terima kasih, partner received it.</p>")


def _html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<html><head><title>DigiSign</title></head><body>{body}</body></html>", status
    )


@pytest.fixture(scope="module")
def served() -> Iterator[FakeDigisign]:
    fake = FakeDigisign()
    with serve(fake.app()) as base:
        fake.base = base
        yield fake


@pytest.fixture
def fake(served: FakeDigisign) -> FakeDigisign:
    served.reset()
    return served


@pytest.fixture
async def robot() -> AsyncIterator[SignerRobot]:
    async with httpx.AsyncClient(timeout=5) as http:
        yield SignerRobot(http)


def activation_link(fake: FakeDigisign, token: str) -> str:
    return f"{fake.base}/activationpage.html?act={token}"


def sign_link(fake: FakeDigisign, token: str) -> str:
    return f"{fake.base}/signingpage.html?sgn={token}"


async def test_activation_presses_activate_and_lands_on_the_partner_with_the_msg(
    fake: FakeDigisign, robot: SignerRobot
) -> None:
    link = activation_link(fake, "ready-1")

    outcome = await robot.activate(link)

    assert outcome.status_code == 200
    assert "Terima kasih" in outcome.page_text
    assert outcome.msg == fake.sent_msgs[0]
    assert outcome.redirect_url == f"{fake.base}/partner/activation?msg={outcome.msg}"
    assert fake.received == [("GET", f"msg={outcome.msg}")]
    redirect = parse_activation_redirect(CIPHER.decrypt(outcome.msg))
    assert (redirect.email_user, redirect.nik) == (EMAIL, NIK)


async def test_the_msg_is_returned_url_encoded_exactly_as_sent(
    fake: FakeDigisign, robot: SignerRobot
) -> None:
    outcome = await robot.activate(activation_link(fake, "ready-1"))

    assert outcome.msg is not None
    assert "%0A" in outcome.msg  # a MIME line break, still encoded
    assert "\n" not in outcome.msg


async def test_the_form_is_submitted_as_a_browser_would(
    fake: FakeDigisign, robot: SignerRobot
) -> None:
    link = activation_link(fake, "ready-7")

    await robot.activate(link)

    (submission,) = fake.submissions
    assert submission.path == "/activationpage.html"
    assert submission.fields == [("act", "ready-7"), ("agree", "yes"), ("action", "activate")]
    assert submission.cookie == "session-ready-7"
    assert submission.referer == link


async def test_signing_presses_sign_and_returns_a_complete_document(
    fake: FakeDigisign, robot: SignerRobot
) -> None:
    outcome = await robot.sign(sign_link(fake, "ready-2"))

    assert outcome.status_code == 200
    assert fake.submissions[0].fields[-1] == ("action", "sign")
    assert outcome.msg is not None
    redirect = parse_sign_redirect(CIPHER.decrypt(outcome.msg))
    assert redirect.signed
    assert redirect.document_id == "DOC-0001"
    assert redirect.status_document is DocumentStatus.COMPLETE


async def test_rejecting_presses_reject_and_returns_a_rejection(
    fake: FakeDigisign, robot: SignerRobot
) -> None:
    outcome = await robot.reject(sign_link(fake, "ready-3"))

    assert fake.submissions[0].fields[-1] == ("action", "reject")
    assert outcome.msg is not None
    assert parse_sign_redirect(CIPHER.decrypt(outcome.msg)).rejected


async def test_without_following_the_redirect_the_partner_hears_nothing(
    fake: FakeDigisign, robot: SignerRobot
) -> None:
    outcome = await robot.sign(sign_link(fake, "ready-4"), follow_redirect=False)

    assert outcome.status_code == 303
    assert outcome.msg == fake.sent_msgs[0]
    assert outcome.redirect_url is not None
    assert outcome.redirect_url.startswith(f"{fake.base}/partner/sign?msg=")
    assert fake.received == []


@pytest.mark.parametrize(
    ("token", "status"),
    [("used-1", 401), ("unknown-1", 404), ("waiting-1", 406), ("expired-1", 408)],
)
async def test_an_error_page_is_an_outcome_with_its_status(
    fake: FakeDigisign, robot: SignerRobot, token: str, status: int
) -> None:
    outcome = await robot.sign(sign_link(fake, token))

    assert outcome == RobotOutcome(
        status_code=status, redirect_url=None, msg=None, page_text=outcome.page_text
    )
    assert "Tautan tidak" in outcome.page_text
    assert fake.submissions == []


async def test_an_error_answer_to_the_submit_is_an_outcome_with_its_status(
    fake: FakeDigisign, robot: SignerRobot
) -> None:
    outcome = await robot.activate(activation_link(fake, "race-1"))

    assert (outcome.status_code, outcome.msg, outcome.redirect_url) == (401, None, None)
    assert "sudah digunakan" in outcome.page_text


async def test_a_page_without_the_form_is_a_robot_error_that_shows_the_page(
    fake: FakeDigisign, robot: SignerRobot
) -> None:
    with pytest.raises(RobotError, match="sign-form") as caught:
        await robot.sign(sign_link(fake, "notice-1"))

    assert caught.value.status_code == 200
    assert "Pendaftaran Ulang akun DigiSign" in caught.value.page_text
    assert fake.submissions == []


async def test_the_wrong_page_for_the_action_is_a_robot_error(
    fake: FakeDigisign, robot: SignerRobot
) -> None:
    with pytest.raises(RobotError, match="sign-form"):
        await robot.sign(activation_link(fake, "ready-1"))


async def test_a_form_without_the_actions_button_is_a_robot_error(
    fake: FakeDigisign, robot: SignerRobot
) -> None:
    with pytest.raises(RobotError, match="'reject' button"):
        await robot.reject(sign_link(fake, "signonly-1"))


async def test_a_relative_form_action_is_resolved_against_the_page(
    fake: FakeDigisign, robot: SignerRobot
) -> None:
    outcome = await robot.sign(f"{fake.base}/gen/relative.html?sgn=relative-1")

    assert outcome.status_code == 200
    assert [s.path for s in fake.submissions] == ["/web/submit.html"]
    assert outcome.msg == fake.sent_msgs[0]


async def test_a_partner_url_with_its_own_query_keeps_it_and_the_msg_is_found(
    fake: FakeDigisign, robot: SignerRobot
) -> None:
    fake.partner_query = "?source=digisign&msg_format=aes"

    outcome = await robot.sign(sign_link(fake, "ready-5"))

    assert outcome.msg == fake.sent_msgs[0]
    assert fake.received == [("GET", f"source=digisign&msg_format=aes&msg={outcome.msg}")]


async def test_a_submit_answered_without_a_redirect_returns_the_done_page(
    fake: FakeDigisign, robot: SignerRobot
) -> None:
    outcome = await robot.sign(sign_link(fake, "done-1"))

    assert (outcome.status_code, outcome.redirect_url, outcome.msg) == (200, None, None)
    assert "Proses selesai" in outcome.page_text
    assert fake.received == []


async def test_a_307_redirect_repeats_the_post_at_the_partner(
    fake: FakeDigisign, robot: SignerRobot
) -> None:
    outcome = await robot.activate(activation_link(fake, "temporary-1"))

    assert outcome.status_code == 200
    assert fake.received == [("POST", f"msg={outcome.msg}")]


async def test_an_unreachable_partner_still_returns_the_msg(
    fake: FakeDigisign, robot: SignerRobot
) -> None:
    outcome = await robot.sign(sign_link(fake, "gone-1"))

    assert outcome.status_code == 303
    assert outcome.msg == fake.sent_msgs[0]
    assert "partner not reachable" in outcome.page_text


async def test_page_text_is_what_a_person_reads_without_scripts_or_markup(
    fake: FakeDigisign, robot: SignerRobot
) -> None:
    expired = await robot.sign(sign_link(fake, "expired-1"))
    with pytest.raises(RobotError) as caught:
        await robot.sign(activation_link(fake, "ready-1"))

    assert expired.page_text == "DigiSign Tautan tidak berlaku (expired)"
    assert "Silakan periksa dokumen (please review)" in caught.value.page_text
    assert "not page text" not in caught.value.page_text
    assert "<" not in caught.value.page_text
