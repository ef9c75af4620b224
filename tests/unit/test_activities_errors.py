"""The one translation of library errors into Temporal's `ApplicationError`s."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, Field
from temporalio.api.failure.v1 import Failure
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError

from activities.blobs import BlobError, BlobRefused
from activities.errors import (
    BLOB_UNAVAILABLE,
    INVALID_INPUT,
    ErrorDetails,
    application_error,
    error_details,
    translate_errors,
)
from digisign import errors as e
from digisign.endpoints import Endpoint
from tests.unit.fixtures.samples import EMAIL, NIK, PHONE

R, D = Endpoint.REGISTER, Endpoint.DOWNLOAD


@pytest.mark.parametrize(
    ("error", "expected_type", "non_retryable"),
    [
        # transient: the activity's retry policy tries again
        (e.TransportError(R, "connection failed (ConnectError)"), "TransportError", False),
        (e.UnexpectedResponse(R, "not JSON"), "UnexpectedResponse", False),
        (e.HttpStatusError(D, 503), "HttpStatusError", False),
        # retry-later: the workflow's durable ten-minute timer, not a hot retry
        (e.RetryLater(R, "91", "system timeout"), "RetryLater", True),
        # permanent
        (e.HttpStatusError(D, 404), "HttpStatusError", True),
        (e.AuthenticationFailed(R, "55", "token salah"), "AuthenticationFailed", True),
        (e.CertificateExpired(Endpoint.SEND_DOCUMENT, "15"), "CertificateExpired", True),
        (e.UnknownResult(R, "42", "baru"), "UnknownResult", True),
        (e.RedirectDecryptError("not base64"), "RedirectDecryptError", True),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_each_error_class_becomes_an_application_error_of_its_name_and_retryability(
    error: e.DigisignError, expected_type: str, non_retryable: bool
) -> None:
    translated = application_error(error)

    assert translated.type == expected_type
    assert translated.non_retryable is non_retryable
    assert translated.message == str(error)


def test_api_error_details_carry_the_answer_but_not_a_link_in_info() -> None:
    with_text = e.GeneralError(R, "06", "General Error", info="coba lagi", ref_trx="TRX-9")
    with_link = e.GeneralError(R, "06", "General Error", info="https://x.test/?token=secret")

    assert error_details(application_error(with_text)) == ErrorDetails(
        endpoint="REGISTER", result="06", notif="General Error", info="coba lagi", ref_trx="TRX-9"
    )
    assert error_details(application_error(with_link)).info is None
    assert "token=secret" not in repr(application_error(with_link).details)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            e.VerificationFailed(
                R, "12", checks=frozenset({e.VerificationCheck.SELFIE, e.VerificationCheck.NIK})
            ),
            {"checks": ["nik", "selfie"]},
        ),
        (
            e.NotFound(Endpoint.SIGN_LINK, "05", reason=e.NotFoundReason.NOT_A_SIGNER),
            {"reason": "not_a_signer"},
        ),
        (
            e.AlreadyRegisteredElsewhere(R, "14", conflict="nik", email_registered=EMAIL),
            {"conflict": "nik"},
        ),
        (e.InsufficientBalance(R, "61", balance="signature"), {"balance": "signature"}),
    ],
    ids=["checks", "reason", "conflict", "balance"],
)
def test_details_name_what_the_workflow_decides_on(
    error: e.ApiError, expected: dict[str, Any]
) -> None:
    translated = application_error(error)

    details = error_details(translated).model_dump(include=set(expected))
    assert details == expected
    assert EMAIL not in f"{translated} {translated.details!r}"


def test_error_details_survive_temporals_failure_conversion() -> None:
    original = application_error(
        e.VerificationFailed(
            R, "12", "verifikasi user gagal.", checks=frozenset({e.VerificationCheck.FACE})
        )
    )
    converter = pydantic_data_converter
    failure = Failure()
    converter.failure_converter.to_failure(original, converter.payload_converter, failure)
    received = converter.failure_converter.from_failure(failure, converter.payload_converter)

    assert isinstance(received, ApplicationError)
    assert received.type == "VerificationFailed"
    assert error_details(received) == error_details(original)
    assert error_details(received).checks == ["face"]


@pytest.mark.parametrize(
    "error",
    [
        ApplicationError("no details"),
        ApplicationError("foreign details", "just a string"),
        ApplicationError("wrong shape", {"checks": "not a list"}),
    ],
    ids=["none", "string", "wrong-shape"],
)
def test_error_details_of_a_foreign_application_error_are_empty(error: ApplicationError) -> None:
    assert error_details(error) == ErrorDetails()


class _Person(BaseModel):
    model_config = {"hide_input_in_errors": True}

    nik: str = Field(pattern=r"^\d{16}$")


async def test_translated_activity_turns_a_validation_error_into_final_invalid_input() -> None:
    @translate_errors
    async def activity() -> None:
        _Person(nik=NIK + "x")

    with pytest.raises(ApplicationError) as caught:
        await activity()

    assert caught.value.type == INVALID_INPUT
    assert caught.value.non_retryable
    assert error_details(caught.value).fields == ["nik"]
    assert NIK not in f"{caught.value} {caught.value.details!r}"


async def test_translated_activity_turns_a_blob_error_into_retryable_blob_unavailable() -> None:
    @translate_errors
    async def activity() -> None:
        raise BlobError("blob not found: file:///blobs/photos/selfie.jpg")

    with pytest.raises(ApplicationError) as caught:
        await activity()

    assert caught.value.type == BLOB_UNAVAILABLE
    assert not caught.value.non_retryable
    assert "file:///blobs/photos/selfie.jpg" in caught.value.message


async def test_a_blob_the_store_refuses_is_not_retried() -> None:
    @translate_errors
    async def activity() -> None:
        raise BlobRefused("blob outside the store: file:///etc/passwd")

    with pytest.raises(ApplicationError) as caught:
        await activity()

    assert caught.value.type == BLOB_UNAVAILABLE
    assert caught.value.non_retryable


async def test_translated_activity_drops_the_cause_that_may_hold_the_request() -> None:
    @translate_errors
    async def activity() -> None:
        try:
            raise ValueError(f"request body with {NIK} and {PHONE}")
        except ValueError as exc:
            raise e.TransportError(R, "connection failed") from exc

    with pytest.raises(ApplicationError) as caught:
        await activity()

    assert caught.value.type == "TransportError"
    failure = Failure()
    converter = pydantic_data_converter
    converter.failure_converter.to_failure(caught.value, converter.payload_converter, failure)
    assert not failure.HasField("cause")
    assert NIK not in str(failure)


async def test_translated_activity_lets_other_exceptions_through_untouched() -> None:
    @translate_errors
    async def activity() -> None:
        raise KeyError("a bug, not a Digisign outcome")

    with pytest.raises(KeyError):
        await activity()
