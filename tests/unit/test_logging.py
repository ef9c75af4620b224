"""One logging pipeline, with personal data and secrets redacted."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from workers.logging import configure_logging, scrub

NIK, PHONE, EMAIL = "3171000000000001", "081234567890", "siti@example.com"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging("json", "debug", stream)
    yield stream
    logging.getLogger().handlers.clear()
    structlog.reset_defaults()


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_stdlib_messages_are_json_with_pii_masked(captured: io.StringIO) -> None:
    logging.getLogger("digisign.client").info(
        "register %s %s %s with Bearer abc.def", NIK, PHONE, EMAIL
    )
    (line,) = lines(captured)
    assert line["logger"] == "digisign.client"
    text = json.dumps(line)
    for secret in (NIK, PHONE, EMAIL, "abc.def"):
        assert secret not in text


def test_sensitive_keys_and_bytes_are_redacted(captured: io.StringIO) -> None:
    structlog.get_logger("signflow").info(
        "lifecycle", nik=NIK, email=EMAIL, token="t0k3n", pdf=b"%PDF-1.7", signers=2
    )
    (line,) = lines(captured)
    assert line["nik"] == line["email"] == line["token"] == line["pdf"] == "[redacted]"
    assert line["signers"] == 2


def test_temporal_context_becomes_workflow_and_activity_fields(captured: io.StringIO) -> None:
    context = {
        "workflow_id": "signing-doc1",
        "workflow_run_id": "run-1",
        "activity_type": "digisign.register",
        "attempt": 3,
    }
    logging.getLogger("temporalio.activity").warning(
        "retrying", extra={"temporal_activity": context}
    )
    (line,) = lines(captured)
    assert (line["workflow_id"], line["run_id"]) == ("signing-doc1", "run-1")
    assert (line["activity"], line["attempt"]) == ("digisign.register", 3)


def test_scrub_leaves_ordinary_numbers_alone() -> None:
    assert scrub("waited 600 seconds for 2 signers") == "waited 600 seconds for 2 signers"
    assert scrub(f"nik {NIK}") == "nik [nik]"
