"""The application as a whole: probes, the OpenAPI document, configurable paths, the codec."""

from __future__ import annotations

import base64
import os

import httpx
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from gateway.app import create_app
from gateway.events import EXAMPLE, LoanEvent
from tests.gateway.conftest import make_config
from tests.gateway.support import EVENT_TOKEN, loan_event, sign_msg
from tests.support.servers import serve
from workers.codec import EncryptionCodec

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_healthz_always_answers_and_readyz_follows_temporal(
    anonymous: httpx.AsyncClient, gateway: str, dead_gateway: str
) -> None:
    live = await anonymous.get(f"{gateway}/healthz")
    ready = await anonymous.get(f"{gateway}/readyz")
    dead_live = await anonymous.get(f"{dead_gateway}/healthz")
    dead_ready = await anonymous.get(f"{dead_gateway}/readyz")

    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
    assert (dead_live.status_code, dead_live.json()) == (200, {"status": "ok"})
    assert (dead_ready.status_code, dead_ready.json()) == (503, {"status": "unavailable"})


async def test_events_and_status_answer_503_when_temporal_is_unreachable(
    anonymous: httpx.AsyncClient, dead_gateway: str
) -> None:
    auth = {"Authorization": f"Bearer {EVENT_TOKEN}"}

    event = await anonymous.post(f"{dead_gateway}/v1/loan-events", json=loan_event(), headers=auth)
    state = await anonymous.get(f"{dead_gateway}/v1/signings/doc-1", headers=auth)
    invalid = await anonymous.post(f"{dead_gateway}/v1/loan-events", json={}, headers=auth)

    assert event.status_code == state.status_code == 503
    assert event.json() == {"detail": "Temporal is unavailable; retry later"}
    assert event.headers["retry-after"]
    assert invalid.status_code == 422  # validation never needs Temporal


async def test_the_openapi_document_declares_what_the_endpoints_answer(
    anonymous: httpx.AsyncClient, gateway: str
) -> None:
    document = (await anonymous.get(f"{gateway}/openapi.json")).json()
    paths = document["paths"]

    assert set(paths) == {
        "/v1/loan-events",
        "/v1/signings/{document_id}",
        "/v1/signings/{document_id}/activation-link",
        "/v1/signings/{document_id}/sign-link",
        "/v1/signings/{document_id}/contact",
        "/v1/signings/{document_id}/certificate-expired",
        "/v1/signings/{document_id}/cancel",
        "/digisign/activation",
        "/digisign/sign",
        "/healthz",
        "/readyz",
    }
    intake = paths["/v1/loan-events"]["post"]
    assert set(intake["responses"]) == {"200", "202", "401", "409", "413", "422", "503"}
    assert intake["security"] == [{"HTTPBearer": []}]
    assert intake["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/LoanEvent"
    }
    invalid = intake["responses"]["422"]["content"]["application/json"]["schema"]
    assert invalid == {"$ref": "#/components/schemas/ValidationProblem"}
    for path in ("/digisign/activation", "/digisign/sign"):
        responses = paths[path]["get"]["responses"]
        assert set(responses) == {"200", "303", "400", "404", "503"}
        assert "text/html" in responses["400"]["content"]
        assert "security" not in paths[path]["get"]
    cancel = paths["/v1/signings/{document_id}/cancel"]["post"]["responses"]
    assert set(cancel) >= {"200", "202", "404", "409", "422", "503"}
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    [example] = schemas["LoanEvent"]["examples"]
    assert LoanEvent.model_validate(example).document_id == EXAMPLE["document_id"]


async def test_redirect_paths_are_the_ones_configured(
    dev: WorkflowEnvironment, anonymous: httpx.AsyncClient
) -> None:
    config = make_config(activation_path="/cb/aktivasi", sign_path="/cb/ttd")
    with serve(create_app(config, dev.client)) as base_url:
        activation = await anonymous.get(f"{base_url}/cb/aktivasi")
        sign = await anonymous.get(f"{base_url}/cb/ttd?msg={sign_msg('doc-x', 'a@example.com')}")
        default = await anonymous.get(f"{base_url}/digisign/sign")

    assert activation.status_code == 400
    assert sign.status_code == 404
    assert default.status_code == 404
    assert "text/html" in activation.headers["content-type"]


async def test_the_codec_endpoint_is_served_when_a_codec_is_given(
    dev: WorkflowEnvironment, anonymous: httpx.AsyncClient, gateway: str
) -> None:
    codec = EncryptionCodec({"k1": os.urandom(32)}, "k1")
    config = make_config(codec_allowed_origins=("http://ui.test",))
    payload = {
        "metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
        "data": base64.b64encode(b'{"nik": "3175000000000001"}').decode(),
    }
    with serve(create_app(config, dev.client, codec=codec)) as base_url:
        encoded = await anonymous.post(
            f"{base_url}/codec/encode",
            json={"payloads": [payload]},
            headers={"Origin": "http://ui.test", "X-Namespace": "default"},
        )
        decoded = await anonymous.post(
            f"{base_url}/codec/decode", json=encoded.json(), headers={"X-Namespace": "default"}
        )
    without = await anonymous.post(f"{gateway}/codec/decode", json={"payloads": [payload]})

    assert encoded.status_code == 200, encoded.text
    assert encoded.headers["access-control-allow-origin"] == "http://ui.test"
    [sealed] = encoded.json()["payloads"]
    assert sealed["data"] != payload["data"]
    assert decoded.status_code == 200, decoded.text
    assert decoded.json()["payloads"] == [payload]
    assert without.status_code == 404


async def test_a_dead_client_is_what_the_dead_gateway_has(dead_client: Client) -> None:
    # Guard for the fixtures above: the "dead" gateway really has no Temporal.
    with pytest.raises(RuntimeError, match="connect"):
        await dead_client.count_workflows()
