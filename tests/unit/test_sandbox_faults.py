"""The sandbox's fault plan: seeded decisions, shares, validation, CLI specs, snapshots."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter

import pydantic
import pytest

from digisign.endpoints import Endpoint
from sandbox.faults import (
    Decision,
    Fault,
    FaultPlan,
    FaultSettings,
    parse_fault_spec,
)

MIXED = FaultSettings(
    retry_later=0.2, server_error=0.1, drop_before=0.05, drop_after=0.05, malformed=0.1
)


def decisions(plan: FaultPlan, endpoint: Endpoint, count: int) -> list[Decision]:
    return [plan.decide(endpoint) for _ in range(count)]


# --- reproducibility -------------------------------------------------------------------


def test_the_same_seed_gives_the_same_decisions() -> None:
    settings = MIXED.merged({"latency_ms": 10, "jitter_ms": 40})
    first, second = FaultPlan(seed=7, default=settings), FaultPlan(seed=7, default=settings)

    assert decisions(first, Endpoint.REGISTER, 300) == decisions(second, Endpoint.REGISTER, 300)


def test_another_seed_gives_other_decisions() -> None:
    first, second = FaultPlan(seed=7, default=MIXED), FaultPlan(seed=8, default=MIXED)

    assert decisions(first, Endpoint.REGISTER, 300) != decisions(second, Endpoint.REGISTER, 300)


def test_calls_to_one_endpoint_do_not_change_the_decisions_of_another() -> None:
    quiet, busy = FaultPlan(seed=3, default=MIXED), FaultPlan(seed=3, default=MIXED)
    decisions(busy, Endpoint.SIGN_LINK, 57)

    assert decisions(quiet, Endpoint.REGISTER, 200) == decisions(busy, Endpoint.REGISTER, 200)


def test_jitter_never_shifts_which_calls_get_a_fault() -> None:
    steady = FaultPlan(seed=5, default=MIXED)
    jittery = FaultPlan(seed=5, default=MIXED.merged({"jitter_ms": 500}))

    def faults(plan: FaultPlan) -> list[Fault]:
        return [d.fault for d in decisions(plan, Endpoint.SEND_DOCUMENT, 300)]

    assert faults(steady) == faults(jittery)


def test_browser_redirect_draws_do_not_change_api_decisions() -> None:
    settings = MIXED.merged({"lost_browser_redirect": 0.5})
    plain, mixed = FaultPlan(seed=1, default=settings), FaultPlan(seed=1, default=settings)
    for _ in range(25):
        mixed.lose_browser_redirect(Endpoint.SIGN_LINK)

    assert decisions(plain, Endpoint.SIGN_LINK, 100) == decisions(mixed, Endpoint.SIGN_LINK, 100)


def test_concurrent_threads_get_the_same_decisions_as_one_thread_in_some_order() -> None:
    settings = MIXED.merged({"jitter_ms": 100})
    shared, alone = FaultPlan(seed=11, default=settings), FaultPlan(seed=11, default=settings)
    results: list[Decision] = []
    lock = threading.Lock()

    def worker() -> None:
        mine = decisions(shared, Endpoint.REGISTER, 500)
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Counter(results) == Counter(decisions(alone, Endpoint.REGISTER, 4000))


# --- shares and delays -----------------------------------------------------------------


def test_each_fault_comes_with_its_share_over_many_calls() -> None:
    plan = FaultPlan(seed=2024, default=MIXED)
    count = 40_000

    seen = Counter(d.fault for d in decisions(plan, Endpoint.REGISTER, count))

    expected = {
        Fault.RETRY_LATER: 0.2,
        Fault.SERVER_ERROR: 0.1,
        Fault.DROP_BEFORE: 0.05,
        Fault.DROP_AFTER: 0.05,
        Fault.MALFORMED: 0.1,
        Fault.NONE: 0.5,
    }
    for fault, share in expected.items():
        assert seen[fault] / count == pytest.approx(share, abs=0.01), fault


def test_no_settings_means_no_faults_and_no_delay() -> None:
    plan = FaultPlan(seed=1)

    assert set(decisions(plan, Endpoint.DOWNLOAD, 500)) == {Decision(Fault.NONE, 0.0)}


@pytest.mark.parametrize("fault", [f for f in Fault if f is not Fault.NONE])
def test_a_share_of_one_gives_that_fault_every_time(fault: Fault) -> None:
    plan = FaultPlan(seed=1, default=FaultSettings.model_validate({fault.value: 1.0}))

    assert {d.fault for d in decisions(plan, Endpoint.UPDATE_CONTACT, 300)} == {fault}


def test_latency_without_jitter_is_exact() -> None:
    plan = FaultPlan(default=FaultSettings(latency_ms=250))

    assert {d.delay_s for d in decisions(plan, Endpoint.REGISTER, 50)} == {0.25}


def test_jitter_spreads_the_delay_above_the_latency() -> None:
    plan = FaultPlan(default=FaultSettings(latency_ms=100, jitter_ms=50))

    delays = [d.delay_s for d in decisions(plan, Endpoint.REGISTER, 500)]

    assert all(0.1 <= delay <= 0.15 for delay in delays)
    assert max(delays) - min(delays) > 0.04


# --- validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"retry_later": 1.5},
        {"server_error": -0.1},
        {"malformed": float("nan")},
        {"drop_after": float("inf")},
        {"lost_browser_redirect": 2},
        {"latency_ms": -1},
        {"jitter_ms": 600_001},
        {"latency_ms": "soon"},
    ],
)
def test_out_of_range_values_are_refused(fields: dict[str, object]) -> None:
    with pytest.raises(pydantic.ValidationError, match=next(iter(fields))):
        FaultSettings.model_validate(fields)


def test_shares_adding_up_to_more_than_one_are_refused_naming_the_fields() -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        FaultSettings(retry_later=0.6, drop_after=0.5)

    message = str(caught.value)
    assert "retry_later (0.6) + drop_after (0.5) add up to 1.1" in message
    assert "at most 1" in message


def test_shares_adding_up_to_exactly_one_despite_rounding_are_accepted() -> None:
    settings = FaultSettings(retry_later=0.1, server_error=0.2, malformed=0.7)

    assert settings.fault_for(0.999999) is Fault.MALFORMED


def test_the_lost_redirect_share_does_not_count_towards_the_api_shares() -> None:
    settings = FaultSettings(retry_later=1.0, lost_browser_redirect=1.0)

    assert settings.lost_browser_redirect == 1.0


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(pydantic.ValidationError, match="timeout_share"):
        FaultSettings.model_validate({"timeout_share": 0.1})


def test_settings_are_frozen() -> None:
    settings = FaultSettings()

    with pytest.raises(pydantic.ValidationError, match="frozen"):
        settings.retry_later = 0.5  # type: ignore[misc]


def test_merging_changes_validates_the_result() -> None:
    with pytest.raises(pydantic.ValidationError, match="add up to"):
        FaultSettings(retry_later=0.7).merged({"server_error": 0.7})


# --- CLI specs -------------------------------------------------------------------------


def test_a_spec_without_an_endpoint_is_for_the_default() -> None:
    assert parse_fault_spec("retry_later=0.2,latency_ms=50") == (
        None,
        {"retry_later": 0.2, "latency_ms": 50},
    )


def test_a_spec_with_an_endpoint_is_for_that_endpoint() -> None:
    assert parse_fault_spec("register:drop_after=0.05") == (
        Endpoint.REGISTER,
        {"drop_after": 0.05},
    )


def test_spec_names_are_case_insensitive_and_accept_hyphens_and_spaces() -> None:
    assert parse_fault_spec(" Activation-Link : Lost-Browser-Redirect = 0.5 , JITTER_MS=3") == (
        Endpoint.ACTIVATION_LINK,
        {"lost_browser_redirect": 0.5, "jitter_ms": 3},
    )


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        ("regster:drop_after=0.1", "unknown endpoint 'regster'"),
        ("retry_later=0.1,slowness=3", "unknown field 'slowness'"),
        ("retry_later=0.1,retry_later=0.2", "field 'retry_later' given twice"),
        ("retry_later", "expected name=value, got 'retry_later'"),
        ("register:", "expected name=value, got ''"),
        ("", "expected name=value"),
        ("retry_later=lots", "retry_later: Input should be a valid number"),
        ("latency_ms=1.5", "latency_ms"),
        ("retry_later=0.7,server_error=0.7", "add up to 1.4"),
    ],
)
def test_bad_specs_are_refused_saying_what_is_wrong(spec: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=re.escape(complaint)):
        parse_fault_spec(spec)


def test_a_parsed_spec_applies_on_top_of_the_settings_in_force() -> None:
    plan = FaultPlan(default=FaultSettings(latency_ms=20))

    plan.apply(*parse_fault_spec("register:drop_after=0.05"))

    assert plan.settings(Endpoint.REGISTER) == FaultSettings(latency_ms=20, drop_after=0.05)
    assert plan.settings(Endpoint.DOWNLOAD) == FaultSettings(latency_ms=20)


# --- update, reset, snapshot -----------------------------------------------------------


def test_an_endpoints_own_settings_replace_the_default() -> None:
    plan = FaultPlan(default=FaultSettings(retry_later=1.0))

    plan.update(Endpoint.SIGN_LINK, FaultSettings(malformed=1.0))

    assert plan.decide(Endpoint.SIGN_LINK).fault is Fault.MALFORMED
    assert plan.decide(Endpoint.REGISTER).fault is Fault.RETRY_LATER


def test_updating_the_default_leaves_endpoints_with_their_own_settings_alone() -> None:
    plan = FaultPlan(per_endpoint={Endpoint.DOWNLOAD: FaultSettings(drop_before=1.0)})

    plan.update(None, FaultSettings(server_error=1.0))

    assert plan.decide(Endpoint.DOWNLOAD).fault is Fault.DROP_BEFORE
    assert plan.decide(Endpoint.UPDATE_CONTACT).fault is Fault.SERVER_ERROR


def test_reset_removes_every_fault_and_restarts_the_streams() -> None:
    plan = FaultPlan(seed=9, per_endpoint={Endpoint.REGISTER: FaultSettings(retry_later=1.0)})
    plan.update(None, FaultSettings(drop_after=1.0))
    decisions(plan, Endpoint.SEND_DOCUMENT, 10)

    plan.reset()

    assert plan.settings(Endpoint.REGISTER) == FaultSettings()
    assert plan.settings(Endpoint.SEND_DOCUMENT) == FaultSettings()
    plan.update(None, MIXED)
    fresh = FaultPlan(seed=9, default=MIXED)
    assert decisions(plan, Endpoint.SEND_DOCUMENT, 100) == decisions(
        fresh, Endpoint.SEND_DOCUMENT, 100
    )


def test_the_snapshot_is_json_and_shows_seed_default_and_endpoints() -> None:
    plan = FaultPlan(
        seed=42,
        default=FaultSettings(latency_ms=5),
        per_endpoint={Endpoint.REGISTER: FaultSettings(drop_after=0.05)},
    )

    snapshot = json.loads(json.dumps(plan.snapshot()))

    assert snapshot["seed"] == 42
    assert snapshot["default"] == FaultSettings(latency_ms=5).model_dump()
    assert snapshot["endpoints"] == {"REGISTER": FaultSettings(drop_after=0.05).model_dump()}
    assert FaultSettings.model_validate(snapshot["endpoints"]["REGISTER"]).drop_after == 0.05


# --- browser redirects and picks -------------------------------------------------------


def test_browser_redirects_are_never_lost_without_the_setting() -> None:
    plan = FaultPlan(default=MIXED)

    assert not any(plan.lose_browser_redirect(Endpoint.ACTIVATION_LINK) for _ in range(200))


def test_browser_redirects_are_always_lost_with_a_share_of_one() -> None:
    plan = FaultPlan(per_endpoint={Endpoint.SIGN_LINK: FaultSettings(lost_browser_redirect=1)})

    assert all(plan.lose_browser_redirect(Endpoint.SIGN_LINK) for _ in range(200))
    assert not any(plan.lose_browser_redirect(Endpoint.ACTIVATION_LINK) for _ in range(200))


def test_lost_browser_redirects_follow_their_share_reproducibly() -> None:
    settings = FaultSettings(lost_browser_redirect=0.3)
    first, second = FaultPlan(seed=4, default=settings), FaultPlan(seed=4, default=settings)

    lost = [first.lose_browser_redirect(Endpoint.SIGN_LINK) for _ in range(10_000)]

    assert lost == [second.lose_browser_redirect(Endpoint.SIGN_LINK) for _ in range(10_000)]
    assert sum(lost) / len(lost) == pytest.approx(0.3, abs=0.015)


def test_picks_are_seeded_and_cover_the_options() -> None:
    first, second = FaultPlan(seed=6), FaultPlan(seed=6)
    options = (500, 502, 503)

    picks = [first.pick(Endpoint.REGISTER, options) for _ in range(60)]

    assert picks == [second.pick(Endpoint.REGISTER, options) for _ in range(60)]
    assert set(picks) == set(options)
