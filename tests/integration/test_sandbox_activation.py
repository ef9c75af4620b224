"""genACTPage and the activation page: links, their lifetime, and the redirect sent twice."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from digisign import errors as e
from digisign.cipher import RedirectCipher
from digisign.client import DigisignClient
from digisign.redirects import decode_activation_redirect
from sandbox import notifs
from sandbox.robot import SignerRobot
from tests.integration import flows, harness
from tests.integration.conftest import StartSandbox
from tests.integration.harness import Admin, People, Receiver, RunningSandbox

SEVEN_MINUTES = 7 * 60


async def test_an_email_not_in_the_activation_list_is_answered_06(
    digisign: DigisignClient, people: People
) -> None:
    with pytest.raises(e.GeneralError) as raised:
        await flows.activation_link(digisign, people())
    assert (raised.value.result, raised.value.notif) == ("06", notifs.GENERAL_ERROR)


async def test_an_activated_email_is_answered_14(
    digisign: DigisignClient, robot: SignerRobot, people: People
) -> None:
    person = people()
    await flows.onboard(digisign, robot, person)
    with pytest.raises(e.AlreadyActivated) as raised:
        await flows.activation_link(digisign, person)
    assert raised.value.notif == notifs.ALREADY_ACTIVATED


async def test_a_user_of_another_partner_is_answered_12(
    start_sandbox: StartSandbox, http: httpx.AsyncClient, people: People
) -> None:
    other = harness.make_partner(userid="other@lender.test", token="other-partner-token")
    running = start_sandbox(other_partners=(other,))
    ours = DigisignClient(running.client_config(), http=http)
    theirs = DigisignClient(
        running.client_config(token=other.token, userid=other.userid), http=http
    )
    person = people()
    await flows.register(theirs, person)
    with pytest.raises(e.AccessDenied) as raised:
        await flows.activation_link(ours, person)
    assert raised.value.result == "12"


async def test_activation_redirects_the_browser_with_digisigns_msg_and_calls_the_partner_too(
    sandbox: RunningSandbox,
    digisign: DigisignClient,
    robot: SignerRobot,
    receiver: Receiver,
    admin: Admin,
    people: People,
) -> None:
    person = people()
    await flows.register(digisign, person)
    link = await flows.activation_link(digisign, person)
    assert link.startswith(f"{sandbox.base_url}/activationpage.html?act=")

    outcome = await robot.activate(link)

    assert outcome.redirect_url is not None
    assert outcome.redirect_url.startswith(f"{receiver.activation_url}?msg=")
    assert outcome.msg is not None
    redirect = decode_activation_redirect(RedirectCipher(harness.PARTNER_KEY), outcome.msg)
    assert (redirect.result, redirect.notif) == ("00", notifs.ACTIVATED)
    assert (redirect.email_user, redirect.nik) == (person.email, person.nik)
    copies = receiver.wait_for(2, kind="activation")
    assert sorted(copy.from_server for copy in copies) == [False, True]
    assert {copy.msg for copy in copies} == {outcome.msg}
    users = {user["email"]: user for user in await admin.get("users")}
    assert users[person.email]["status"] == "active"
    assert users[person.email]["certificate"] == "valid"


async def test_the_redirect_log_records_both_deliveries_without_the_msg(
    digisign: DigisignClient, robot: SignerRobot, receiver: Receiver, admin: Admin, people: People
) -> None:
    await flows.onboard(digisign, robot, people())
    receiver.wait_for(2)
    await asyncio.sleep(0.05)  # the server-side call logs after it returns
    log = await admin.get("redirects")
    assert sorted((entry["channel"], entry["outcome"]) for entry in log) == [
        ("browser", "303"),
        ("server", "200"),
    ]
    assert all(entry["target"] == receiver.activation_url for entry in log)


async def test_an_activation_link_works_once(
    digisign: DigisignClient, robot: SignerRobot, people: People
) -> None:
    person = people()
    await flows.register(digisign, person)
    link = await flows.activation_link(digisign, person)
    assert (await robot.activate(link)).msg is not None
    assert (await robot.activate(link)).status_code == 401


async def test_an_activation_link_still_works_just_before_seven_minutes(
    digisign: DigisignClient, robot: SignerRobot, admin: Admin, people: People
) -> None:
    person = people()
    await flows.register(digisign, person)
    link = await flows.activation_link(digisign, person)
    await admin.advance_clock(SEVEN_MINUTES - 2)
    assert (await robot.activate(link)).msg is not None


async def test_a_stale_activation_link_answers_408_and_a_fresh_one_works(
    digisign: DigisignClient, robot: SignerRobot, admin: Admin, people: People
) -> None:
    person = people()
    await flows.register(digisign, person)
    stale = await flows.activation_link(digisign, person)
    await admin.advance_clock(SEVEN_MINUTES + 1)
    assert (await robot.activate(stale)).status_code == 408
    fresh = await flows.activation_link(digisign, person)
    assert fresh != stale
    assert (await robot.activate(fresh)).msg is not None


async def test_after_activation_every_other_open_link_is_used_up(
    digisign: DigisignClient, robot: SignerRobot, people: People
) -> None:
    person = people()
    await flows.register(digisign, person)
    first = await flows.activation_link(digisign, person)
    second = await flows.activation_link(digisign, person)
    assert (await robot.activate(second)).msg is not None
    assert (await robot.activate(first)).status_code == 401


async def test_an_unknown_activation_token_answers_404(
    sandbox: RunningSandbox, http: httpx.AsyncClient
) -> None:
    page = await http.get(f"{sandbox.base_url}/activationpage.html?act=bm90LWEtdG9rZW4%3D")
    assert page.status_code == 404


async def test_a_registration_without_redirect_ends_on_a_done_page(
    digisign: DigisignClient, robot: SignerRobot, receiver: Receiver, people: People
) -> None:
    person = people()
    await flows.register(digisign, person, redirect=False)
    outcome = await robot.activate(await flows.activation_link(digisign, person))
    assert (outcome.status_code, outcome.msg) == (200, None)
    assert notifs.ACTIVATED in outcome.page_text
    await asyncio.sleep(0.1)
    assert receiver.received() == []


async def test_with_server_redirects_off_only_the_browser_delivers(
    start_sandbox: StartSandbox, http: httpx.AsyncClient, receiver: Receiver, people: People
) -> None:
    running = start_sandbox(server_redirects=False)
    digisign = DigisignClient(running.client_config(), http=http)
    await flows.onboard(digisign, SignerRobot(http), people())
    await asyncio.sleep(0.1)
    assert [copy.from_server for copy in receiver.received()] == [False]


async def test_a_lost_browser_redirect_leaves_the_server_copy(
    digisign: DigisignClient, robot: SignerRobot, receiver: Receiver, admin: Admin, people: People
) -> None:
    await admin.send(
        "PUT",
        "faults",
        {"endpoint": "activation_link", "settings": {"lost_browser_redirect": 1.0}},
    )
    person = people()
    await flows.register(digisign, person)
    outcome = await robot.activate(await flows.activation_link(digisign, person))
    assert (outcome.status_code, outcome.msg) == (200, None)
    [copy] = receiver.wait_for(1, kind="activation")
    assert copy.from_server
