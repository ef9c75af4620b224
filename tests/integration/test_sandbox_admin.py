"""The ``/_sandbox/`` admin API, and the default partner's built-in receiver."""

from __future__ import annotations

import httpx
import pytest

from digisign import errors as e
from digisign.client import DigisignClient
from sandbox.config import DEFAULT_TOKEN, DEFAULT_USERID, SandboxConfig
from sandbox.robot import SignerRobot
from tests.integration import flows
from tests.integration.conftest import StartSandbox
from tests.integration.harness import Admin, People, RunningSandbox


async def test_healthz_answers_ok(admin: Admin) -> None:
    assert (await admin.get("healthz"))["status"] == "ok"


async def test_faults_set_through_the_api_hit_the_next_call_and_reset_clears_them(
    digisign: DigisignClient, admin: Admin, people: People
) -> None:
    snapshot = await admin.send(
        "PUT", "faults", {"endpoint": "register", "settings": {"retry_later": 1.0}}
    )
    assert snapshot["endpoints"]["REGISTER"]["retry_later"] == 1.0
    with pytest.raises(e.RetryLater):
        await flows.register(digisign, people())
    assert (await admin.totals())["identity_check"] == 0
    await admin.send("DELETE", "faults")
    await flows.register(digisign, people())


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"endpoint": "nowhere", "settings": {}}, 404),
        ({"settings": {"retry_later": 2}}, 422),
        ({"settings": {"teleport": 0.5}}, 422),
        ({"settings": {"retry_later": 0.6, "malformed": 0.6}}, 422),
    ],
    ids=["unknown-endpoint", "share-above-one", "unknown-setting", "shares-above-one"],
)
async def test_bad_fault_changes_are_refused(
    sandbox: RunningSandbox, http: httpx.AsyncClient, body: dict[str, object], status: int
) -> None:
    answer = await http.put(f"{sandbox.base_url}/_sandbox/faults", json=body)
    assert answer.status_code == status


async def test_listings_show_no_nik_phone_token_or_key(
    digisign: DigisignClient, admin: Admin, people: People
) -> None:
    person = people()
    await flows.register(digisign, person)
    [user] = await admin.get("users")
    assert user["email"] == person.email
    assert person.nik not in str(user)
    assert person.phone not in str(user)
    [partner] = await admin.get("partners")
    assert set(partner) >= {"userid", "balances"}
    assert "token" not in partner
    assert "aes_key" not in partner


async def test_a_certificate_cannot_be_changed_before_activation(
    sandbox: RunningSandbox, digisign: DigisignClient, http: httpx.AsyncClient, people: People
) -> None:
    person = people()
    await flows.register(digisign, person)
    url = f"{sandbox.base_url}/_sandbox/users/{person.email}/certificate"
    assert (await http.post(url, json={"state": "expired"})).status_code == 409
    missing = f"{sandbox.base_url}/_sandbox/users/nobody@x.test/certificate"
    assert (await http.post(missing, json={"state": "expired"})).status_code == 404


async def test_balances_of_an_unknown_partner_cannot_be_set(
    sandbox: RunningSandbox, http: httpx.AsyncClient
) -> None:
    url = f"{sandbox.base_url}/_sandbox/partners/nobody@x.test/balances"
    assert (await http.put(url, json={"document": 1})).status_code == 404


async def test_the_clock_only_moves_forward(
    sandbox: RunningSandbox, http: httpx.AsyncClient
) -> None:
    url = f"{sandbox.base_url}/_sandbox/clock/advance"
    assert (await http.post(url, json={"seconds": -1})).status_code == 422
    moved = await http.post(url, json={"seconds": 60})
    assert moved.json()["offset_seconds"] == 60


async def test_the_default_partner_redirects_to_the_built_in_receiver(
    start_sandbox: StartSandbox, http: httpx.AsyncClient, people: People
) -> None:
    running = start_sandbox(config=SandboxConfig())
    client = DigisignClient(
        running.client_config(token=DEFAULT_TOKEN, userid=DEFAULT_USERID), http=http
    )
    person = people()
    outcome = await flows.onboard(client, SignerRobot(http), person)
    assert outcome.redirect_url is not None
    assert outcome.redirect_url.startswith(f"{running.base_url}/_sandbox/receiver/activation?")
    assert outcome.status_code == 200
    assert "Proses Aktivasi Berhasil" in outcome.page_text
    assert person.nik in outcome.page_text
