"""UPDATE-EP over HTTP: a not-yet-activated user's e-mail and phone change, or why not."""

from __future__ import annotations

import pytest

from digisign import errors as e
from digisign.client import DigisignClient
from digisign.endpoints import Endpoint
from digisign.requests import UpdateContactRequest
from sandbox import notifs
from sandbox.robot import SignerRobot
from tests.integration import flows
from tests.integration.harness import People, Person, RawRequest


def change(
    person: Person,
    *,
    email: str | None = None,
    phone: str | None = None,
    old_phone: str | None = None,
) -> UpdateContactRequest:
    return UpdateContactRequest(
        email_lama=person.email,
        email_baru=email or person.email,
        nohp_lama=old_phone or person.phone,
        nohp_baru=phone or person.phone,
    )


async def test_a_preregistered_user_gets_a_new_email_and_phone(
    digisign: DigisignClient, robot: SignerRobot, people: People
) -> None:
    person = people()
    await flows.register(digisign, person)
    updated = await digisign.update_contact(
        change(person, email="moved@borrower.test", phone="081399999999")
    )
    assert updated.notif == notifs.CONTACT_UPDATED
    with pytest.raises(e.GeneralError):
        await flows.activation_link(digisign, person)
    moved = Person(person.name, "moved@borrower.test", person.nik, "081399999999")
    assert (await robot.activate(await flows.activation_link(digisign, moved))).msg is not None


async def test_an_active_user_is_answered_14(
    digisign: DigisignClient, robot: SignerRobot, people: People
) -> None:
    person = people()
    await flows.onboard(digisign, robot, person)
    with pytest.raises(e.ContactChangeRejected) as raised:
        await digisign.update_contact(change(person, phone="081399999999"))
    assert (raised.value.result, raised.value.notif) == ("14", notifs.USER_ALREADY_ACTIVE)


@pytest.mark.parametrize(
    ("taken", "notif"), [("email", notifs.NEW_EMAIL_TAKEN), ("phone", notifs.NEW_PHONE_TAKEN)]
)
async def test_a_new_email_or_phone_of_someone_else_is_answered_14(
    digisign: DigisignClient, people: People, taken: str, notif: str
) -> None:
    person, other = people(), people()
    for someone in (person, other):
        await flows.register(digisign, someone)
    with pytest.raises(e.ContactChangeRejected) as raised:
        await digisign.update_contact(change(person, **{taken: getattr(other, taken)}))
    assert (raised.value.result, raised.value.notif) == ("14", notif)


async def test_an_unregistered_email_is_answered_05(
    digisign: DigisignClient, people: People
) -> None:
    with pytest.raises(e.NotFound) as raised:
        await digisign.update_contact(change(people(), phone="081399999999"))
    assert raised.value.notif == notifs.EMAIL_NOT_REGISTERED
    assert raised.value.reason is e.NotFoundReason.EMAIL_NOT_REGISTERED


async def test_an_old_phone_that_does_not_match_is_answered_08(
    digisign: DigisignClient, people: People
) -> None:
    person = people()
    await flows.register(digisign, person)
    with pytest.raises(e.ContactChangeRejected) as raised:
        await digisign.update_contact(change(person, old_phone="081377777777"))
    assert (raised.value.result, raised.value.notif) == ("08", notifs.OLD_PHONE_MISMATCH)


async def test_an_unusable_new_value_fails_with_res_06(
    digisign: DigisignClient, people: People
) -> None:
    person = people()
    await flows.register(digisign, person)
    request = RawRequest(
        Endpoint.UPDATE_CONTACT,
        {
            "email_lama": person.email,
            "email_baru": "not-an-email",
            "nohp_lama": person.phone,
            "nohp_baru": person.phone,
        },
    )
    with pytest.raises(e.GeneralError) as raised:
        await digisign.update_contact(request)  # type: ignore[arg-type]
    assert (raised.value.result, raised.value.notif) == ("06", notifs.UPDATE_FAILED)
