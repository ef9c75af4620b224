"""The request models: Digisign's own examples reproduced, every rule, nothing leaked."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from digisign.endpoints import Endpoint
from digisign.fields import PERSONAL_DATA_CONFIG, DocumentType, Gender, Payment
from digisign.requests import (
    ActivationLinkRequest,
    DigisignRequest,
    DownloadBase64Request,
    DownloadRequest,
    MeteraiPosition,
    RegisterRequest,
    SendDocumentRequest,
    SignBox,
    Signer,
    SignLinkRequest,
    UpdateContactRequest,
    Viewer,
    WireModel,
)
from tests.unit.fixtures.samples import EMAIL, JPEG, NIK, PDF, PHONE, PNG, register_fields


def signer(
    page: int = 1, box: tuple[float, float, float, float] = (0, 0, 0, 0), **changes: Any
) -> Signer:
    """A signer with a box on ``page`` at (llx, lly, urx, ury) ``box``."""
    llx, lly, urx, ury = box
    fields: dict[str, Any] = {
        "name": "test1",
        "email": EMAIL,
        "box": SignBox(page=page, llx=llx, lly=lly, urx=urx, ury=ury),
    }
    fields.update(changes)
    return Signer(**fields)


def stamp(page: int, box: tuple[float, float, float, float]) -> MeteraiPosition:
    """An e-meterai at (llx, lly, urx, ury) ``box`` on ``page``."""
    llx, lly, urx, ury = box
    return MeteraiPosition(page=page, llx=llx, lly=lly, urx=urx, ury=ury)


def send_fields(**changes: Any) -> dict[str, Any]:
    """A valid one-signer send-document request's fields, with ``changes``."""
    fields: dict[str, Any] = {"document_id": "doc1", "pdf": PDF, "req_sign": [signer()]}
    fields.update(changes)
    return fields


def rejection(model: type[DigisignRequest] | type[Any], fields: dict[str, Any]) -> ValidationError:
    """The error building ``model`` from ``fields`` raises."""
    with pytest.raises(ValidationError) as caught:
        model(**fields)
    return caught.value


def broken_rules(model: type[Any], fields: dict[str, Any]) -> set[str]:
    """The error types building ``model`` from ``fields`` raises (empty if it builds).

    Anything other than a `ValidationError` propagates and fails the test.
    """
    try:
        model(**fields)
    except ValidationError as exc:
        return {str(detail["type"]) for detail in exc.errors()}
    return set()


def assert_single_error(
    error: ValidationError,
    loc: tuple[str | int, ...],
    rule: str,
    phrase: str,
    secret: object = None,
) -> None:
    """Exactly one error, at ``loc``, breaking ``rule``, saying ``phrase``, hiding ``secret``."""
    [detail] = error.errors()
    assert detail["loc"] == loc
    assert detail["type"] == rule
    assert phrase in detail["msg"]
    if secret is not None:
        assert str(secret) not in str(error)
        assert repr(secret) not in str(error)


# --- Digisign's examples ------------------------------------------------------------


def test_register_reproduces_digisigns_example() -> None:
    example = json.loads(
        '{ "JSONFile": { "userid": "admin@ptmitra.com", "jenis_kelamin": "laki-laki",'
        ' "kota": "pekalongan", "nama": "test registrasi", "tlp": "6281290700111",'
        ' "tgl_lahir": "10-03-1978", "idktp": "3199091003880012", "tmp_lahir": "pekalongan",'
        ' "email": "test@hotmail.com", "redirect": true } }'
    )
    built = RegisterRequest(**register_fields()).json_file("admin@ptmitra.com")

    # We send Digisign's documented casing ("Laki-laki"); its example has "laki-laki".
    assert built["JSONFile"].pop("jenis_kelamin") == "Laki-laki"
    assert example["JSONFile"].pop("jenis_kelamin").casefold() == "laki-laki"
    assert built == example


def test_activation_link_reproduces_digisigns_example() -> None:
    example = json.loads(
        '{"JSONFile":{"userid":"admin@gmail.com","email_user":"test@hotmail.com"}}'
    )
    built = ActivationLinkRequest(email_user="test@hotmail.com").json_file("admin@gmail.com")
    assert built == example


def example_send_document(**changes: Any) -> SendDocumentRequest:
    """The request of Digisign's send-document example (its file is perjanjian.pdf)."""
    fields: dict[str, Any] = dict(
        document_id="20180920_AB",
        pdf=PDF,
        payment="3",
        redirect=True,
        send_to=[
            Viewer(name="eka", email="eka@hotmail.com"),
            Viewer(name="eko", email="eko@hotmail.com"),
        ],
        req_sign=[
            Signer(
                name="test1",
                email="test@hotmail.com",
                user="ttd1",
                box=SignBox(page="3", llx="12", lly="15", urx="12", ury="15"),
                visible="1",
            ),
            Signer(
                name="test2",
                email="test2@hotmail.com",
                user="ttd2",
                box=SignBox(page=4, llx=12, lly=15, urx=12, ury=15),
                visible=1,
            ),
        ],
    )
    fields.update(changes)
    return SendDocumentRequest(**fields)


# Digisign's example, with the brace it leaves out after "JSONFile": put back.
SEND_DOCUMENT_EXAMPLE = """
{ "JSONFile": {
"userid": "admin@gmail.com",
"document_id" : "20180920_AB",
"payment" : "3",
"redirect" : true,
"send-to" : [
{"name": "eka", "email": "eka@hotmail.com"},
{"name": "eko", "email": "eko@hotmail.com"}
],
"req-sign" : [
{
"name" : "test1",
"email": "test@hotmail.com",
"user": "ttd1",
"page": "3",
"llx": "12",
"lly": "15",
"urx": "12",
"ury": "15",
"visible": "1"
}, {
"name" : "test2",
"email": "test2@hotmail.com",
"user": "ttd2",
"page": "4",
"llx": "12",
"lly": "15",
"urx": "12",
"ury": "15",
"visible": "1"
}
]
} }
"""


def test_send_document_reproduces_digisigns_example() -> None:
    example = json.loads(SEND_DOCUMENT_EXAMPLE)
    assert example_send_document().json_file("admin@gmail.com") == example


# Digisign's "Example message for Send Document with e-Meterai", its \" unescaped.
SEND_DOCUMENT_WITH_E_METERAI_EXAMPLE = """
{ "JSONFile": { "userid": "admin@mitra.com", "document_id": "20230515_ABMet",
"payment": "3", "redirect": true, "send-to": [{ "name": "eka", "email": "eka@hotmail.com" },
{ "name": "eko",
"email": "eko@hotmail.com"
}
],
"req-sign": [
{
"name": "test1",
"email": "test@hotmail.com",
"user": "ttd1",
"page": "3",
"llx": "12",
"lly": "15",
"urx": "12",
"ury": "15",
"visible": "1"
},
{
"name": "test2",
"email": "test2@hotmail.com",
"user": "ttd2",
"page": "4",
"llx": "12",
"lly": "15",
"urx": "12",
"ury": "15",
"visible": "1"
}
],
"meterai-positions": [
{
"llx": "110",
"lly": "110",
"urx": "200",
"ury": "200",
"page": "1"
}], "document_type": "2" } }
"""


def test_send_document_with_e_meterai_reproduces_digisigns_example() -> None:
    example = json.loads(SEND_DOCUMENT_WITH_E_METERAI_EXAMPLE)
    request = example_send_document(
        document_id="20230515_ABMet",
        meterai_positions=[MeteraiPosition(page="1", llx="110", lly="110", urx="200", ury="200")],
        document_type="2",
    )
    assert request.json_file("admin@mitra.com") == example


def test_sign_link_reproduces_digisigns_example() -> None:
    example = json.loads(
        '{"JSONFile":{"userid":"admin@gmail.com","email_user":"test@hotmail.com",'
        ' "document_id":"testdoc123", "view_only":false}}'
    )
    request = SignLinkRequest(
        document_id="testdoc123", email_user="test@hotmail.com", view_only=False
    )
    assert request.json_file("admin@gmail.com") == example


@pytest.mark.parametrize("model", [DownloadRequest, DownloadBase64Request])
def test_downloads_reproduce_digisigns_example(
    model: type[DownloadRequest] | type[DownloadBase64Request],
) -> None:
    example = json.loads(
        '{"JSONFile": { "userid": "admin@gmail.com","document_id": "20180920_AB"}}'
    )
    assert model(document_id="20180920_AB").json_file("admin@gmail.com") == example


def test_update_contact_reproduces_digisigns_example() -> None:
    example = json.loads(
        '{"JSONFile": { "userid": "dummy1@digisign.id", "email_lama": "digisign1@tandatangan.com",'
        ' "email_baru": "digisign1@tandatangan.com", "nohp_lama": "62895430551133",'
        ' "nohp_baru": "62895430551135" }}'
    )
    request = UpdateContactRequest(
        email_lama="digisign1@tandatangan.com",
        email_baru="digisign1@tandatangan.com",
        nohp_lama="62895430551133",
        nohp_baru="62895430551135",
    )
    assert request.json_file("dummy1@digisign.id") == example


# --- wire details -------------------------------------------------------------------


def test_each_request_names_its_endpoint() -> None:
    assert RegisterRequest.endpoint is Endpoint.REGISTER
    assert ActivationLinkRequest.endpoint is Endpoint.ACTIVATION_LINK
    assert SendDocumentRequest.endpoint is Endpoint.SEND_DOCUMENT
    assert SignLinkRequest.endpoint is Endpoint.SIGN_LINK
    assert DownloadRequest.endpoint is Endpoint.DOWNLOAD
    assert DownloadBase64Request.endpoint is Endpoint.DOWNLOAD_BASE64
    assert UpdateContactRequest.endpoint is Endpoint.UPDATE_CONTACT


def test_register_sends_optional_fields_only_when_given() -> None:
    bare = RegisterRequest(**register_fields(city=None)).json_file("a@b.co")["JSONFile"]
    assert "kota" not in bare
    assert "provinsi" not in bare
    full = RegisterRequest(
        **register_fields(province="Jawa Tengah", redirect=False, birth_date=date(1978, 3, 10))
    ).json_file("a@b.co")["JSONFile"]
    assert full["provinsi"] == "Jawa Tengah"
    assert full["redirect"] is False
    assert full["tgl_lahir"] == "10-03-1978"


def test_gender_is_sent_in_digisigns_casing() -> None:
    request = RegisterRequest(**register_fields(gender="PEREMPUAN"))
    assert request.gender is Gender.FEMALE
    assert request.json_file("a@b.co")["JSONFile"]["jenis_kelamin"] == "Perempuan"


def test_send_document_sends_sequence_hidden_boxes_fractions_and_branch() -> None:
    request = SendDocumentRequest(
        **send_fields(
            sequence_option=True,
            payment=2,
            branch="Jakarta",
            req_sign=[
                signer(1, (10, 10, 60.5, 30.25), signing_seq=1, user="prf1", visible=False),
                signer(1, (100, 10, 150, 30), signing_seq=2),
            ],
        )
    )
    body = request.json_file("a@b.co")["JSONFile"]
    assert body["sequence_option"] is True
    assert body["payment"] == "2"
    assert body["branch"] == "Jakarta"
    assert "send-to" not in body
    assert "meterai-positions" not in body
    assert "document_type" not in body
    first, second = body["req-sign"]
    assert first == {
        "name": "test1",
        "email": EMAIL,
        "user": "prf1",
        "page": "1",
        "llx": "10",
        "lly": "10",
        "urx": "60.5",
        "ury": "30.25",
        "visible": "0",
        "signing_seq": 1,
    }
    assert second["signing_seq"] == 2
    assert second["visible"] == "1"
    assert second["user"] == "ttd"


def test_send_document_defaults_to_pay_per_document_with_redirect() -> None:
    request = SendDocumentRequest(**send_fields())
    assert request.payment is Payment.PER_DOCUMENT
    body = request.json_file("a@b.co")["JSONFile"]
    assert body["payment"] == "3"
    assert body["redirect"] is True
    assert "sequence_option" not in body


def test_sign_link_leaves_view_only_out_unless_given() -> None:
    request = SignLinkRequest(document_id="d1", email_user=EMAIL)
    assert "view_only" not in request.json_file("a@b.co")["JSONFile"]
    viewing = SignLinkRequest(document_id="d1", email_user=EMAIL, view_only=True)
    assert viewing.json_file("a@b.co")["JSONFile"]["view_only"] is True


def test_json_file_is_json_serializable_as_is() -> None:
    for request in (RegisterRequest(**register_fields()), example_send_document()):
        text = json.dumps(request.json_file("a@b.co"))
        assert json.loads(text) == request.json_file("a@b.co")


# --- files --------------------------------------------------------------------------


def test_register_uploads_ktp_selfie_and_signature_under_fixed_names() -> None:
    request = RegisterRequest(**register_fields(signature=PNG))
    assert request.files() == {
        "fotoktp": ("ktp.jpg", JPEG, "image/jpeg"),
        "fotodiri": ("selfie.jpg", JPEG, "image/jpeg"),
        "ttd": ("ttd.png", PNG, "image/png"),
    }


def test_register_uploads_a_png_ktp_as_png_and_no_signature_when_absent() -> None:
    request = RegisterRequest(**register_fields(ktp_photo=PNG))
    assert request.files() == {
        "fotoktp": ("ktp.png", PNG, "image/png"),
        "fotodiri": ("selfie.jpg", JPEG, "image/jpeg"),
    }


def test_send_document_uploads_the_pdf_as_document_pdf() -> None:
    assert example_send_document().files() == {"file": ("document.pdf", PDF, "application/pdf")}


@pytest.mark.parametrize(
    "request_",
    [
        ActivationLinkRequest(email_user=EMAIL),
        SignLinkRequest(document_id="d1", email_user=EMAIL),
        DownloadRequest(document_id="d1"),
        DownloadBase64Request(document_id="d1"),
        UpdateContactRequest(email_lama=EMAIL, email_baru=EMAIL, nohp_lama=PHONE, nohp_baru=PHONE),
    ],
)
def test_requests_without_uploads_have_no_files(request_: DigisignRequest) -> None:
    assert request_.files() == {}


# --- nothing personal in repr -------------------------------------------------------


PERSONAL = [NIK, PHONE, EMAIL, "test registrasi", "pekalongan", "10-03-1978", "1978", "JFIF", "PDF"]


@pytest.mark.parametrize(
    "request_",
    [
        RegisterRequest(**register_fields(signature=PNG, province="pekalongan")),
        ActivationLinkRequest(email_user=EMAIL),
        SendDocumentRequest(**send_fields(send_to=[Viewer(name="test registrasi", email=EMAIL)])),
        SignLinkRequest(document_id="d1", email_user=EMAIL),
        UpdateContactRequest(email_lama=EMAIL, email_baru=EMAIL, nohp_lama=PHONE, nohp_baru=PHONE),
    ],
    ids=lambda request: type(request).__name__,
)
def test_repr_and_str_show_no_personal_data(request_: DigisignRequest) -> None:
    for text in (repr(request_), str(request_)):
        for secret in PERSONAL:
            assert secret not in text
        assert "\\xff" not in text
        assert "\\x89" not in text


# --- register rules -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "rule", "phrase"),
    [
        ("nik", "319909100388001", "nik_format", "NIK must be exactly 16 digits"),
        ("nik", "31990910038800AB", "nik_format", "NIK must be exactly 16 digits"),
        ("phone", "0812345", "phone_length", "phone number must be 8 to 15 characters"),
        ("phone", "0712345678", "phone_prefix", "phone number must start with 08, 62 or +62"),
        ("phone", "0812-345-678", "phone_digits", "phone number must contain only digits"),
        ("name", "N" * 81, "name_length", "name must be at most 80 characters"),
        ("name", "Budi_Santoso", "name_characters", "name may contain only letters"),
        ("email", "test.hotmail.com", "email_format", "e-mail must be an address"),
        ("email", "t" * 70 + "@hotmail.com", "email_length", "e-mail must be at most 80"),
        ("birth_date", "1978-03-10", "birth_date_format", "birth date must be written dd-MM-yyyy"),
        ("birth_date", "31-02-1990", "birth_date_calendar", "birth date must be a real calendar"),
        ("birth_date", "01-01-2999", "birth_date_future", "birth date must not be in the future"),
        ("gender", "pria", "gender", "gender must be Laki-laki or Perempuan"),
        ("birth_place", "p" * 31, "birth_place_length", "birth place must be at most 30"),
        ("city", "c" * 81, "region_length", "at most 80 characters"),
        ("province", "", "region_empty", "must not be empty"),
        ("ktp_photo", b"", "ktp_photo_empty", "KTP photo must not be empty"),
        (
            "ktp_photo",
            JPEG + bytes(4 * 1024 * 1024),
            "ktp_photo_size",
            "KTP photo must be at most 4 MB",
        ),
        ("ktp_photo", PDF, "ktp_photo_format", "KTP photo must be a JPEG or PNG image"),
        ("selfie", JPEG + bytes(500 * 1024), "selfie_size", "selfie must be at most 500 KB"),
        ("selfie", PNG, "selfie_format", "selfie must be a JPEG image"),
        ("selfie", b"", "selfie_empty", "selfie must not be empty"),
        ("signature", JPEG, "signature_format", "signature image must be a PNG image"),
        ("signature", PNG + bytes(4 * 1024 * 1024), "signature_size", "at most 4 MB"),
    ],
)
def test_register_rejects_each_broken_rule_under_its_field(
    field: str, value: object, rule: str, phrase: str
) -> None:
    error = rejection(RegisterRequest, register_fields(**{field: value}))
    assert_single_error(error, (field,), rule, phrase, secret=value if value else None)


def test_register_error_never_shows_the_nik_or_the_other_personal_data() -> None:
    error = rejection(RegisterRequest, register_fields(nik="31990910038800", selfie=PNG))
    text = str(error)
    for secret in ("31990910038800", PHONE, EMAIL, "test registrasi", "pekalongan"):
        assert secret not in text
    assert "input_value" not in text


@pytest.mark.parametrize(
    "field", ["name", "gender", "phone", "birth_date", "birth_place", "nik", "email"]
)
def test_register_requires_each_mandatory_field(field: str) -> None:
    fields = register_fields()
    del fields[field]
    assert_single_error(rejection(RegisterRequest, fields), (field,), "missing", "required")


@pytest.mark.parametrize("field", ["ktp_photo", "selfie"])
def test_register_requires_both_photos(field: str) -> None:
    fields = register_fields()
    del fields[field]
    assert_single_error(rejection(RegisterRequest, fields), (field,), "missing", "required")


def test_request_models_use_the_personal_data_config() -> None:
    assert WireModel.model_config == PERSONAL_DATA_CONFIG
    assert DigisignRequest.model_config == PERSONAL_DATA_CONFIG


def test_requests_refuse_unknown_fields_and_changes() -> None:
    error = rejection(RegisterRequest, register_fields(userid="admin@ptmitra.com"))
    assert error.errors()[0]["type"] == "extra_forbidden"
    request = RegisterRequest(**register_fields())
    with pytest.raises(ValidationError) as caught:
        request.nik = "3199091003880013"  # type: ignore[misc]
    # Pydantic's own frozen error would print the value; ours does not even keep it.
    assert caught.value.errors(include_url=False) == [
        {"type": "frozen_instance", "loc": ("nik",), "msg": "Instance is frozen", "input": None}
    ]
    assert "3199091003880013" not in str(caught.value)
    with pytest.raises(ValidationError):
        del request.nik
    assert request.nik == NIK


# --- send document rules ------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "loc", "rule", "phrase"),
    [
        (
            {"document_id": ""},
            ("document_id",),
            "document_id_empty",
            "document_id must not be empty",
        ),
        (
            {"document_id": "d" * 21},
            ("document_id",),
            "document_id_length",
            "at most 20 characters",
        ),
        ({"pdf": b""}, ("pdf",), "pdf_empty", "PDF document must not be empty"),
        ({"pdf": JPEG}, ("pdf",), "pdf_format", "PDF document must contain %PDF-"),
        (
            {"req_sign": []},
            ("req_sign",),
            "req_sign_empty",
            "req_sign must list at least one signer",
        ),
        ({"payment": 1}, ("payment",), "payment", "payment must be 2 (per signature) or 3"),
        (
            {"document_type": "5"},
            ("document_type",),
            "document_type",
            "document_type must be one of",
        ),
        ({"sequence_option": "maybe"}, ("sequence_option",), "bool_parsing", "valid boolean"),
        (
            {"send_to": [{"name": "eka", "email": "eka.hotmail.com"}]},
            ("send_to", 0, "email"),
            "email_format",
            "e-mail must be an address",
        ),
        (
            {"meterai_positions": [stamp(1, (0, 0, 1, 1))]},
            ("document_type",),
            "document_type_missing",
            "document_type is required when meterai_positions are given",
        ),
    ],
)
def test_send_document_rejects_each_broken_rule_under_its_field(
    changes: dict[str, Any], loc: tuple[str | int, ...], rule: str, phrase: str
) -> None:
    assert_single_error(rejection(SendDocumentRequest, send_fields(**changes)), loc, rule, phrase)


@pytest.mark.parametrize(
    ("changes", "loc", "rule", "phrase"),
    [
        (
            {"user": "sign1"},
            ("user",),
            "signature_type_prefix",
            "must start with ttd, prf, app, sgl or mtr",
        ),
        ({"user": "ttd" + "x" * 28}, ("user",), "signature_type_length", "at most 30 characters"),
        ({"visible": 2}, ("visible",), "visible", "visible must be 0 or 1"),
        ({"signing_seq": 0}, ("signing_seq",), "signing_seq", "signing_seq must be at least 1"),
        ({"name": ""}, ("name",), "name_empty", "name must not be empty"),
        ({"email": "test@"}, ("email",), "email_format", "e-mail must be an address"),
    ],
)
def test_signer_rejects_each_broken_rule_under_its_field(
    changes: dict[str, Any], loc: tuple[str, ...], rule: str, phrase: str
) -> None:
    fields = {
        "name": "test1",
        "email": EMAIL,
        "box": {"page": 1, "llx": 0, "lly": 0, "urx": 0, "ury": 0},
    }
    error = rejection(Signer, {**fields, **changes})
    assert_single_error(error, loc, rule, phrase)


def test_a_signer_error_inside_a_request_is_located_by_index() -> None:
    bad = {
        "name": "test2",
        "email": EMAIL,
        "user": "xyz",
        "box": {"page": 1, "llx": 0, "lly": 0, "urx": 0, "ury": 0},
    }
    error = rejection(SendDocumentRequest, send_fields(req_sign=[signer(), bad]))
    assert_single_error(
        error, ("req_sign", 1, "user"), "signature_type_prefix", "signature type (user)"
    )


@pytest.mark.parametrize(
    ("box", "loc", "rule", "phrase"),
    [
        ({"page": 0}, ("page",), "page", "page must be between 1 and 999"),
        ({"page": 1000}, ("page",), "page", "page must be between 1 and 999"),
        ({"llx": -1}, ("llx",), "coordinate", "coordinate must be a number from 0 to 14400"),
        ({"ury": 20000}, ("ury",), "coordinate", "coordinate must be a number from 0 to 14400"),
        ({"lly": "abc"}, ("lly",), "float_parsing", "valid number"),
        ({"llx": 50, "urx": 49.5}, ("urx",), "box_corners", "box urx must not be less than llx"),
        ({"lly": 50, "ury": 10}, ("ury",), "box_corners", "box ury must not be less than lly"),
    ],
)
def test_box_rejects_each_broken_rule_under_its_field(
    box: dict[str, Any], loc: tuple[str, ...], rule: str, phrase: str
) -> None:
    fields = {"page": 1, "llx": 10, "lly": 10, "urx": 100, "ury": 100, **box}
    for model in (SignBox, MeteraiPosition):
        assert_single_error(rejection(model, fields), loc, rule, phrase)


def test_zero_size_box_is_allowed_like_digisigns_example() -> None:
    box = SignBox(page=3, llx=12, lly=15, urx=12, ury=15)
    assert box.wire() == {"llx": "12", "lly": "15", "urx": "12", "ury": "15", "page": "3"}


def test_sequential_signing_requires_a_signing_seq_on_every_signer() -> None:
    fields = send_fields(
        sequence_option=True,
        req_sign=[signer(1, signing_seq=1), signer(2), signer(3, signing_seq=3)],
    )
    assert_single_error(
        rejection(SendDocumentRequest, fields),
        ("req_sign",),
        "signing_seq_missing",
        "sequence_option requires signing_seq on every signer; req_sign[1] has none",
    )


def test_unordered_signing_needs_no_signing_seq() -> None:
    SendDocumentRequest(**send_fields(sequence_option=False, req_sign=[signer(1), signer(2)]))


def test_overlapping_signature_boxes_are_rejected_naming_both() -> None:
    fields = send_fields(
        req_sign=[
            signer(1, (0, 0, 50, 50)),
            signer(2, (0, 0, 50, 50)),
            signer(1, (49, 49, 100, 100)),
        ]
    )
    assert_single_error(
        rejection(SendDocumentRequest, fields),
        ("req_sign",),
        "box_overlap",
        "req_sign[0] and req_sign[2] overlap on page 1",
    )


def test_e_meterai_overlapping_a_signature_is_rejected_naming_both() -> None:
    fields = send_fields(
        req_sign=[signer(1, (0, 0, 50, 50)), signer(1, (100, 0, 150, 50))],
        meterai_positions=[stamp(2, (0, 0, 50, 50)), stamp(1, (140, 40, 200, 100))],
        document_type=DocumentType.TRANSACTION,
    )
    assert_single_error(
        rejection(SendDocumentRequest, fields),
        ("meterai_positions",),
        "box_overlap",
        "req_sign[1] and meterai_positions[1] overlap on page 1",
    )


def test_overlapping_e_meterai_are_rejected_naming_both() -> None:
    fields = send_fields(
        meterai_positions=[stamp(1, (100, 100, 200, 200)), stamp(1, (150, 150, 250, 250))],
        document_type="3",
    )
    assert_single_error(
        rejection(SendDocumentRequest, fields),
        ("meterai_positions",),
        "box_overlap",
        "meterai_positions[0] and meterai_positions[1] overlap on page 1",
    )


def test_boxes_touching_or_on_different_pages_are_allowed() -> None:
    request = SendDocumentRequest(
        **send_fields(
            req_sign=[
                signer(1, (0, 0, 50, 50)),
                signer(1, (50, 0, 100, 50)),
                signer(1, (0, 50, 50, 100)),
                signer(2, (0, 0, 50, 50)),
            ],
            meterai_positions=[stamp(1, (100, 50, 150, 100)), stamp(3, (0, 0, 50, 50))],
            document_type="4b",
        )
    )
    assert request.document_type is DocumentType.DEBT_SETTLEMENT
    assert request.json_file("a@b.co")["JSONFile"]["document_type"] == "4b"


@given(
    st.lists(
        st.tuples(
            st.integers(1, 2),
            st.integers(0, 5),
            st.integers(0, 5),
            st.integers(0, 3),
            st.integers(0, 3),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_any_layout_of_boxes_is_accepted_exactly_when_no_two_overlap(
    layout: list[tuple[int, int, int, int, int]],
) -> None:
    signers = [signer(page, (x, y, x + w, y + h)) for page, x, y, w, h in layout]
    boxes = [s.box for s in signers]
    overlapping = any(
        boxes[i].page == boxes[j].page
        and min(boxes[i].urx, boxes[j].urx) > max(boxes[i].llx, boxes[j].llx)
        and min(boxes[i].ury, boxes[j].ury) > max(boxes[i].lly, boxes[j].lly)
        for j in range(len(boxes))
        for i in range(j)
    )
    assert broken_rules(SendDocumentRequest, send_fields(req_sign=signers)) == (
        {"box_overlap"} if overlapping else set()
    )


# --- sign link, downloads, contact change -------------------------------------------


@pytest.mark.parametrize(
    ("fields", "loc", "rule"),
    [
        ({"document_id": "", "email_user": EMAIL}, ("document_id",), "document_id_empty"),
        ({"document_id": "d1", "email_user": "no-at-sign"}, ("email_user",), "email_format"),
        (
            {"document_id": "d1", "email_user": EMAIL, "view_only": "perhaps"},
            ("view_only",),
            "bool_parsing",
        ),
    ],
)
def test_sign_link_rejects_each_broken_rule_under_its_field(
    fields: dict[str, Any], loc: tuple[str, ...], rule: str
) -> None:
    [detail] = rejection(SignLinkRequest, fields).errors()
    assert (detail["loc"], detail["type"]) == (loc, rule)


def test_activation_link_rejects_a_malformed_email_without_showing_it() -> None:
    error = rejection(ActivationLinkRequest, {"email_user": "budi.santoso@@example.com"})
    assert_single_error(
        error,
        ("email_user",),
        "email_format",
        "e-mail must be an address",
        "budi.santoso@@example.com",
    )


@pytest.mark.parametrize("model", [DownloadRequest, DownloadBase64Request])
def test_downloads_reject_a_document_id_over_20_characters(
    model: type[DownloadRequest] | type[DownloadBase64Request],
) -> None:
    error = rejection(model, {"document_id": "d" * 21})
    assert_single_error(
        error, ("document_id",), "document_id_length", "document_id must be at most 20"
    )


def test_the_two_downloads_are_distinct_types() -> None:
    assert not isinstance(DownloadBase64Request(document_id="d1"), DownloadRequest)
    assert not isinstance(DownloadRequest(document_id="d1"), DownloadBase64Request)


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("email_lama", "old.example.com", "email_format"),
        ("email_baru", "new@example", "email_format"),
        ("nohp_lama", "0712345678", "phone_prefix"),
        ("nohp_baru", "081234", "phone_length"),
    ],
)
def test_update_contact_validates_both_emails_and_both_phones(
    field: str, value: str, rule: str
) -> None:
    fields = {"email_lama": EMAIL, "email_baru": EMAIL, "nohp_lama": PHONE, "nohp_baru": PHONE}
    error = rejection(UpdateContactRequest, {**fields, field: value})
    assert_single_error(error, (field,), rule, "must", secret=value)


# --- round trips (Temporal payloads are JSON) ---------------------------------------


def test_requests_survive_a_json_round_trip() -> None:
    register = RegisterRequest(**register_fields(signature=PNG))
    assert RegisterRequest.model_validate_json(register.model_dump_json()) == register
    send = SendDocumentRequest(
        **send_fields(
            meterai_positions=[stamp(2, (1, 2, 3.5, 4))], document_type="4a", sequence_option=False
        )
    )
    assert SendDocumentRequest.model_validate_json(send.model_dump_json()) == send


@given(st.text(max_size=20), st.text(max_size=20))
def test_any_text_as_nik_or_phone_validates_or_raises_validation_error(
    nik: str, phone: str
) -> None:
    fields = register_fields(nik=nik, phone=phone)
    try:
        request = RegisterRequest(**fields)
    except ValidationError as exc:
        errors = exc.errors()
    else:
        errors = []
        assert (request.nik, request.phone) == (nik, phone)
    assert {detail["loc"] for detail in errors} <= {("nik",), ("phone",)}
