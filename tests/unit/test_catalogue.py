"""Every response example of the document maps to exactly one outcome."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digisign import errors as e
from digisign.catalogue import CATALOGUE, lookup, raise_for
from digisign.endpoints import Endpoint
from digisign.envelope import read_envelope
from digisign.results import RegistrationKind, link_from, registration_from
from tests.unit.fixtures.responses import ALL, Example


def outcome(endpoint: Endpoint, body: str) -> Any:
    """What the client would make of `body`: a success value, or the raised error."""
    try:
        envelope = read_envelope(endpoint, body)
        raise_for(endpoint, envelope)
    except e.DigisignError as exc:
        return exc
    if endpoint is Endpoint.REGISTER:
        return registration_from(envelope)
    if endpoint in (Endpoint.ACTIVATION_LINK, Endpoint.SIGN_LINK):
        return link_from(endpoint, envelope)
    return envelope


@pytest.mark.parametrize("example", ALL, ids=lambda x: x.name)
def test_each_documented_response_maps_to_its_outcome(example: Example) -> None:
    result = outcome(example.endpoint, example.body)
    if isinstance(example.expected, RegistrationKind):
        assert result.kind is example.expected
    elif example.expected == "ok":
        assert not isinstance(result, Exception), result
    else:
        assert type(result) is example.expected, f"{example.name}: got {result!r}"
    for attr, value in example.attrs.items():
        assert getattr(result, attr) == value, attr


def test_every_catalogue_row_is_exercised_by_a_documented_example() -> None:
    seen = set()
    for example in ALL:
        try:
            code = read_envelope(example.endpoint, example.body).result
        except e.UnexpectedResponse:
            continue
        seen.add(lookup(example.endpoint, code))
    missing = [(row.code, row.meaning) for row in CATALOGUE if row not in seen]
    assert missing == []


def test_each_code_and_endpoint_pair_has_one_meaning() -> None:
    pairs = [(row.code, endpoint) for row in CATALOGUE for endpoint in row.endpoints]
    assert len(pairs) == len(set(pairs))


def test_errors_carry_endpoint_result_notif_info_and_reference() -> None:
    body = (
        '{"JSONFile":{"refTrx":"REGD20211028112731000509","result":"20",'
        '"notif":"sudah mencoba","info":"cek data"}}'
    )
    error = outcome(Endpoint.REGISTER, body)
    assert isinstance(error, e.TooManyAttempts)
    assert (error.endpoint, error.result, error.notif, error.info, error.ref_trx) == (
        Endpoint.REGISTER,
        "20",
        "sudah mencoba",
        "cek data",
        "REGD20211028112731000509",
    )
    assert error.permanent
    assert "REGD20211028112731000509" in str(error)


def test_result_91_is_retry_later_not_permanent() -> None:
    error = outcome(Endpoint.SEND_DOCUMENT, '{"JSONFile":{"result":"91","notif":"timeout"}}')
    assert isinstance(error, e.RetryLater)
    assert error.retry_later
    assert not error.transient
    assert not error.permanent


def test_unreadable_answers_are_transient() -> None:
    error = outcome(Endpoint.SEND_DOCUMENT, "<html>502</html>")
    assert isinstance(error, e.UnexpectedResponse)
    assert error.transient
    assert not error.permanent


def test_nik_conflict_keeps_registered_email_out_of_the_message() -> None:
    body = (
        '{"JSONFile":{"result":"14","notif":"NIK sudah terdaftar dengan email lain",'
        '"email_registered":"someone@example.com"}}'
    )
    error = outcome(Endpoint.REGISTER, body)
    assert isinstance(error, e.AlreadyRegisteredElsewhere)
    assert error.email_registered == "someone@example.com"
    assert "someone@example.com" not in str(error)
    assert "someone@example.com" not in repr(error)


def test_registration_reads_activation_deadline_in_wib() -> None:
    body = (
        '{"JSONFile":{"kode_user":"230500000000273","expired_aktifasi":"17-12-2022 09:00:21 WIB",'
        '"result":"00","notif":"Berhasil, silahkan check email untuk aktivasi akun anda.",'
        '"info":"https://app.tandatanganku.com/preregistration.html?preregister=abc"}}'
    )
    registration = outcome(Endpoint.REGISTER, body)
    assert registration.kind is RegistrationKind.NEW
    assert registration.kind.needs_activation
    assert registration.kind.charged
    deadline = registration.expired_aktifasi
    assert deadline.isoformat() == "2022-12-17T09:00:21+07:00"
    assert registration.info_link.endswith("preregister=abc")
    assert "preregister=abc" not in repr(registration)


@pytest.mark.parametrize(
    ("kind", "needs_activation", "charged"),
    [
        (RegistrationKind.NEW, True, True),
        (RegistrationKind.PRE_REGISTERED, True, False),
        (RegistrationKind.ALREADY_ACTIVE, False, False),
        (RegistrationKind.REREGISTERED, False, True),
    ],
)
def test_registration_kinds_say_whether_activation_is_needed_and_charged(
    kind: RegistrationKind, needs_activation: bool, charged: bool
) -> None:
    assert kind.needs_activation is needs_activation
    assert kind.charged is charged


def test_links_with_backslashes_and_line_breaks_are_repaired() -> None:
    body = (
        '{"JSONFile":{"result":"00","link":"https://\\\\wv.tandatanganku.com\\\\activationpage'
        '.html?act=YYSQ\nN6e%2FNG%3D%3D"}"}'
    )
    link = outcome(Endpoint.ACTIVATION_LINK, body)
    assert link == "https://wv.tandatanganku.com/activationpage.html?act=YYSQN6e%2FNG%3D%3D"


def test_sign_link_with_escaped_slash_and_spaces_is_repaired() -> None:
    body = (
        '{"JSONFile":{"result":"00", '
        '"link":"https://\\wv.tandatanganku.com\\/ signingpage.html?sgn=%2B6 MM"}}'
    )
    assert outcome(Endpoint.SIGN_LINK, body) == (
        "https://wv.tandatanganku.com/signingpage.html?sgn=%2B6MM"
    )


@given(st.one_of(st.text(), st.binary()), st.sampled_from(list(Endpoint)))
def test_reading_any_body_raises_nothing_but_library_errors(
    body: str | bytes, endpoint: Endpoint
) -> None:
    try:
        envelope = read_envelope(endpoint, body)
        raise_for(endpoint, envelope)
    except e.DigisignError:
        pass


@given(
    st.dictionaries(
        st.sampled_from(["result", "res", "notif", "info", "refTrx", "data", "link"]),
        st.one_of(st.none(), st.booleans(), st.integers(), st.text(), st.lists(st.integers())),
    ),
    st.booleans(),
    st.sampled_from(list(Endpoint)),
)
def test_any_json_shape_yields_an_outcome_or_a_library_error(
    inner: dict[str, Any], wrapped: bool, endpoint: Endpoint
) -> None:
    import json

    body = json.dumps({"JSONFile": inner} if wrapped else inner)
    try:
        envelope = read_envelope(endpoint, body)
        raise_for(endpoint, envelope)
        if endpoint is Endpoint.REGISTER:
            registration_from(envelope)
        elif endpoint in (Endpoint.ACTIVATION_LINK, Endpoint.SIGN_LINK):
            link_from(endpoint, envelope)
    except e.DigisignError:
        pass


def test_an_error_refuses_details_it_does_not_declare() -> None:
    with pytest.raises(TypeError, match="reason"):
        e.RetryLater(Endpoint.REGISTER, "91", reason=e.NotFoundReason.USER)
