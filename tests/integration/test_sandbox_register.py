"""REG-MITRA over HTTP: the server's checks in order, known users, identity checks, charges."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from digisign import errors as e
from digisign.client import DigisignClient
from digisign.endpoints import Endpoint
from digisign.results import RegistrationKind
from sandbox import notifs
from sandbox.robot import SignerRobot
from tests.integration import flows, harness
from tests.integration.harness import Admin, People, RawRequest, RunningSandbox

V = e.VerificationCheck
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


@pytest.fixture(scope="module")
def shared() -> Iterator[RunningSandbox]:
    """One sandbox for the validation table: refused registrations store nothing."""
    with harness.start_sandbox() as running:
        yield running


# (changes to the JSONFile, photos, code, error, notif, info)
VALIDATION: list[tuple[str, dict[str, Any], dict[str, Any], str, type[e.ApiError], str]] = [
    ("iso-date", {"tgl_lahir": "1978-03-10"}, {}, "28", e.InvalidRequest, notifs.BIRTH_DATE_FORMAT),
    ("no-date", {"tgl_lahir": None}, {}, "28", e.InvalidRequest, notifs.BIRTH_DATE_FORMAT),
    ("feb-31", {"tgl_lahir": "31-02-1990"}, {}, "28", e.InvalidRequest, notifs.BIRTH_DATE_FORMAT),
    ("short-phone", {"tlp": "0812345"}, {}, "28", e.InvalidRequest, notifs.PHONE_TOO_SHORT),
    ("dashes", {"tlp": "0812-3456-789"}, {}, "28", e.InvalidRequest, notifs.PHONE_NOT_DIGITS),
    ("prefix-09", {"tlp": "0912345678"}, {}, "28", e.InvalidRequest, notifs.PHONE_PREFIX),
    ("prefix-+63", {"tlp": "+6312345678"}, {}, "28", e.InvalidRequest, notifs.PHONE_PREFIX),
    ("short-nik", {"idktp": "317101"}, {}, "FE", e.InvalidRequest, notifs.NIK_FORMAT),
    ("letter-nik", {"idktp": "317101010190000X"}, {}, "FE", e.InvalidRequest, notifs.NIK_FORMAT),
    ("long-name", {"nama": "a" * 129}, {}, "28", e.InvalidRequest, notifs.NAME_TOO_LONG),
    ("name-chars", {"nama": "Budi_Santoso"}, {}, "28", e.InvalidRequest, notifs.NAME_FORMAT),
    (
        "long-email",
        {"email": "x" * 75 + "@b.com"},
        {},
        "28",
        e.InvalidRequest,
        notifs.EMAIL_TOO_LONG,
    ),
    ("bad-email", {"email": "not-an-email"}, {}, "FE", e.InvalidRequest, notifs.EMAIL_FORMAT),
    (
        "long-gender",
        {"jenis_kelamin": "Laki-laki sekali"},
        {},
        "28",
        e.InvalidRequest,
        notifs.GENDER_TOO_LONG,
    ),
    (
        "no-photos",
        {},
        {"ktp": None, "selfie": None},
        "28",
        e.InvalidRequest,
        notifs.UPLOAD_INCOMPLETE,
    ),
    ("no-ktp", {}, {"ktp": None}, "28", e.InvalidRequest, notifs.UPLOAD_INCOMPLETE),
    ("no-selfie", {}, {"selfie": None}, "28", e.InvalidRequest, notifs.UPLOAD_INCOMPLETE),
]


@pytest.mark.parametrize(
    ("changes", "photos", "code", "error", "notif"),
    [case[1:] for case in VALIDATION],
    ids=[case[0] for case in VALIDATION],
)
async def test_a_field_the_server_refuses_is_answered_with_its_code_and_text(
    shared_client: DigisignClient,
    people: People,
    changes: dict[str, Any],
    photos: dict[str, Any],
    code: str,
    error: type[e.ApiError],
    notif: str,
) -> None:
    person = people()
    fields = {k: v for k, v in person.register_fields(**changes).items() if v is not None}
    request = RawRequest(Endpoint.REGISTER, fields, harness.photos(**photos))
    with pytest.raises(error) as raised:
        await shared_client.register(request)  # type: ignore[arg-type]
    assert (raised.value.result, raised.value.notif) == (code, notif)
    assert (raised.value.ref_trx or "").startswith("REGD")


async def test_missing_photos_name_both_in_the_info(
    shared_client: DigisignClient, people: People
) -> None:
    request = RawRequest(Endpoint.REGISTER, people().register_fields())
    with pytest.raises(e.InvalidRequest) as raised:
        await shared_client.register(request)  # type: ignore[arg-type]
    assert raised.value.info == notifs.UPLOAD_INCOMPLETE_INFO


@pytest.mark.parametrize(
    ("selfie", "info"),
    [
        (b"\xff\xd8\xff" + b"\x00" * (500 * 1024), notifs.SELFIE_TOO_LARGE_INFO),
        (PNG, notifs.SELFIE_NOT_JPEG_INFO),
    ],
    ids=["over-500kb", "png"],
)
async def test_a_refused_selfie_fails_verification_without_a_charge(
    sandbox: RunningSandbox,
    digisign: DigisignClient,
    admin: Admin,
    people: People,
    selfie: bytes,
    info: str,
) -> None:
    request = RawRequest(
        Endpoint.REGISTER, people().register_fields(), harness.photos(selfie=selfie)
    )
    with pytest.raises(e.VerificationFailed) as raised:
        await digisign.register(request)  # type: ignore[arg-type]
    assert raised.value.result == "12"
    assert raised.value.info == info
    assert raised.value.checks == {V.SELFIE}
    assert (await admin.totals())["identity_check"] == 0


async def test_a_new_user_is_checked_charged_and_told_to_activate(
    digisign: DigisignClient, admin: Admin, people: People
) -> None:
    before = datetime.now(UTC)
    registration = await flows.register(digisign, people())

    assert registration.kind is RegistrationKind.NEW
    assert re.fullmatch(r"\d{15}", registration.kode_user or "")
    assert registration.verification == {"nik": True, "name": True, "birthdate": True}
    assert registration.expired_aktifasi is not None
    window = registration.expired_aktifasi - before
    assert timedelta(days=30) - timedelta(seconds=2) < window < timedelta(days=30, seconds=2)
    assert (registration.info_link or "").split("?")[0].endswith("/preregistration.html")
    assert (registration.ref_trx or "").startswith("REGD")
    assert (await admin.totals())["identity_check"] == 1
    outbox = await admin.get("outbox")
    assert [mail["kind"] for mail in outbox] == ["activation"]


async def test_registering_a_preregistered_user_again_answers_00_and_charges_nothing(
    digisign: DigisignClient, admin: Admin, people: People
) -> None:
    person = people()
    first = await flows.register(digisign, person)
    again = await flows.register(digisign, person)
    assert again.kind is RegistrationKind.PRE_REGISTERED
    assert again.kode_user == first.kode_user
    assert (await admin.totals())["identity_check"] == 1


async def test_registering_an_active_user_again_answers_00_and_charges_nothing(
    digisign: DigisignClient, robot: SignerRobot, admin: Admin, people: People
) -> None:
    person = people()
    await flows.onboard(digisign, robot, person)
    again = await flows.register(digisign, person)
    assert again.kind is RegistrationKind.ALREADY_ACTIVE
    assert again.notif == notifs.ALREADY_REGISTERED
    assert (await admin.totals())["identity_check"] == 1


@pytest.mark.parametrize("state", ["expired", "revoked"])
async def test_reregistering_after_the_certificate_lapsed_charges_one_check_and_renews_it(
    digisign: DigisignClient, robot: SignerRobot, admin: Admin, people: People, state: str
) -> None:
    person = people()
    await flows.onboard(digisign, robot, person)
    await admin.set_certificate(person.email, state)

    again = await flows.register(digisign, person)

    assert again.kind is RegistrationKind.REREGISTERED
    assert again.verification == {"nik": True, "name": True, "birthdate": True}
    assert (await admin.totals())["identity_check"] == 2
    users = {user["email"]: user for user in await admin.get("users")}
    assert users[person.email]["certificate"] == "valid"


async def test_a_nik_under_another_email_is_answered_14_with_the_registered_email(
    digisign: DigisignClient, people: People
) -> None:
    first, second = people(), people()
    await flows.register(digisign, first)
    with pytest.raises(e.AlreadyRegisteredElsewhere) as raised:
        await flows.register(digisign, second, nik=first.nik, name=first.name)
    assert raised.value.result == "14"
    assert raised.value.conflict == "nik"
    assert raised.value.email_registered == first.email


async def test_an_email_under_another_nik_is_answered_14(
    digisign: DigisignClient, people: People
) -> None:
    first, second = people(), people()
    await flows.register(digisign, first)
    with pytest.raises(e.AlreadyRegisteredElsewhere) as raised:
        await flows.register(digisign, second, email=first.email)
    assert raised.value.conflict == "email"
    assert raised.value.notif == notifs.EMAIL_UNDER_OTHER_NIK


async def test_a_phone_of_another_user_is_answered_15_in_any_spelling(
    digisign: DigisignClient, admin: Admin, people: People
) -> None:
    first, second = people(), people()
    await flows.register(digisign, first)
    with pytest.raises(e.PhoneInUse) as raised:
        await flows.register(digisign, second, phone="62" + first.phone[1:])
    assert raised.value.notif == notifs.PHONE_IN_USE
    assert (await admin.totals())["identity_check"] == 1


async def test_a_blocked_user_is_answered_78(
    digisign: DigisignClient, admin: Admin, people: People
) -> None:
    person = people()
    await flows.register(digisign, person)
    await admin.send("POST", f"users/{person.email}/block", {"blocked": True})
    with pytest.raises(e.UserBlocked):
        await flows.register(digisign, person)


IDENTITY_FAILURES = [
    ("nik_not_found", {V.NIK, V.NAME, V.BIRTHDATE}, None),
    ("name", {V.NAME}, notifs.VERIFICATION_TEXT_FAILED_INFO),
    ("birthdate", {V.BIRTHDATE}, notifs.VERIFICATION_TEXT_FAILED_INFO),
    ("name_birthdate", {V.NAME, V.BIRTHDATE}, notifs.VERIFICATION_TEXT_FAILED_INFO),
    ("selfie_no_face", {V.SELFIE}, notifs.NO_FACE_ON_SELFIE_INFO),
    ("ktp_no_face", {V.FACE}, notifs.NO_FACE_ON_KTP_INFO),
    ("face", {V.FACE}, notifs.FACE_INFO),
    ("light", {V.FACE}, notifs.LIGHT_INFO),
]


@pytest.mark.parametrize(
    ("check", "failed", "info"), IDENTITY_FAILURES, ids=[c[0] for c in IDENTITY_FAILURES]
)
async def test_a_nik_set_to_fail_a_check_gets_that_12_and_is_charged(
    digisign: DigisignClient,
    admin: Admin,
    people: People,
    check: str,
    failed: set[e.VerificationCheck],
    info: str | None,
) -> None:
    person = people()
    await admin.fail_identity(person.nik, check)
    with pytest.raises(e.VerificationFailed) as raised:
        await flows.register(digisign, person)
    assert raised.value.result == "12"
    assert raised.value.checks == failed
    assert raised.value.info == info
    assert (await admin.totals())["identity_check"] == 1
    await admin.fail_identity(person.nik, None)
    assert (await flows.register(digisign, person)).kind is RegistrationKind.NEW


async def test_more_than_three_failed_checks_are_answered_20_without_checking_again(
    digisign: DigisignClient, admin: Admin, people: People
) -> None:
    person = people()
    await admin.fail_identity(person.nik, "face")
    for _ in range(4):
        with pytest.raises(e.VerificationFailed):
            await flows.register(digisign, person)
    await admin.fail_identity(person.nik, None)
    with pytest.raises(e.TooManyAttempts) as raised:
        await flows.register(digisign, person)
    assert raised.value.result == "20"
    assert (raised.value.ref_trx or "").startswith("REGD")
    assert (await admin.totals())["identity_check"] == 4


async def test_an_identity_service_outage_is_answered_91_without_a_charge(
    digisign: DigisignClient, admin: Admin, people: People
) -> None:
    await admin.send("PUT", "identity", {"outage": True})
    with pytest.raises(e.RetryLater):
        await flows.register(digisign, people())
    await admin.send("PUT", "identity", {"outage": False})
    assert (await admin.totals())["identity_check"] == 0


async def test_an_empty_identity_balance_is_a_12_the_client_reads_as_balance(
    sandbox: RunningSandbox, digisign: DigisignClient, admin: Admin, people: People
) -> None:
    await admin.set_balances(sandbox.partner.userid, identity_check=0)
    with pytest.raises(e.InsufficientBalance) as raised:
        await flows.register(digisign, people())
    assert raised.value.result == "12"
    assert raised.value.balance == "verification_text"


async def test_a_preregistration_not_activated_within_30_days_is_forgotten(
    digisign: DigisignClient, admin: Admin, people: People
) -> None:
    person = people()
    first = await flows.register(digisign, person)
    await admin.advance_clock(31 * 24 * 3600)
    with pytest.raises(e.GeneralError):
        await flows.activation_link(digisign, person)
    again = await flows.register(digisign, person)
    assert again.kind is RegistrationKind.NEW
    assert again.kode_user != first.kode_user
    assert (await admin.totals())["identity_check"] == 2
