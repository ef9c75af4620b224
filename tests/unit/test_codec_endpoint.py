"""The codec endpoint over real HTTP: the Temporal codec-server protocol, CORS and auth."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from google.protobuf import json_format
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter

from gateway import codec as endpoint
from gateway.codec import codec_router
from tests.support.servers import serve
from workers.codec import EncryptionCodec, data_converter

UI = "http://localhost:8233"
STRANGER = "https://evil.example"
TOKEN = "codec-test-token-7f3a"
KEY = bytes(range(32))
NIK = "3275094801950033"

AUTH = {"Authorization": f"Bearer {TOKEN}"}
UI_HEADERS = {**AUTH, "Origin": UI, "X-Namespace": "default"}


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def to_json(payload: Payload) -> dict[str, Any]:
    return json_format.MessageToDict(payload)


def from_json(document: dict[str, Any]) -> Payload:
    return json_format.ParseDict(document, Payload())


def plain(value: object) -> Payload:
    return pydantic_data_converter.payload_converter.to_payloads([value])[0]


CODEC = EncryptionCodec({"k1": KEY}, "k1")


def app_with(token: str | None) -> FastAPI:
    app = FastAPI()
    app.include_router(codec_router(CODEC, allowed_origins=[UI], token=token))
    return app


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve(app_with(TOKEN)) as url:
        yield url


@pytest.fixture(scope="module")
def http(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        yield client


def post(
    http: httpx.Client, path: str, body: object, headers: dict[str, str] | None = None
) -> httpx.Response:
    return http.post(path, json=body, headers=UI_HEADERS if headers is None else headers)


# --- the protocol --------------------------------------------------------------------


def test_decode_of_encode_through_http_gives_back_the_original_payloads(
    http: httpx.Client,
) -> None:
    originals = [to_json(plain({"nik": NIK, "nama": "Siti"})), to_json(plain(42))]

    encoded = post(http, "/codec/encode", {"payloads": originals})
    decoded = post(http, "/codec/decode", encoded.json())

    assert encoded.status_code == 200
    assert decoded.status_code == 200
    assert decoded.headers["content-type"] == "application/json"
    assert decoded.json() == {"payloads": originals}
    for payload in encoded.json()["payloads"]:
        assert payload["metadata"]["encoding"] == b64(b"binary/encrypted")
        assert payload["metadata"]["encryption-key-id"] == b64(b"k1")
        assert NIK.encode() not in base64.b64decode(payload["data"])


async def test_the_endpoint_decodes_what_a_worker_encrypted_in_proto3_json(
    http: httpx.Client,
) -> None:
    [encrypted] = await data_converter(CODEC).encode([{"nik": NIK}])
    body = {
        "payloads": [
            {
                "metadata": {k: b64(v) for k, v in encrypted.metadata.items()},
                "data": b64(encrypted.data),
            }
        ]
    }

    response = post(http, "/codec/decode", body)

    assert response.status_code == 200
    [payload] = response.json()["payloads"]
    assert payload["metadata"] == {"encoding": b64(b"json/plain")}
    assert json.loads(base64.b64decode(payload["data"])) == {"nik": NIK}


async def test_what_the_endpoint_encodes_a_worker_decrypts(http: httpx.Client) -> None:
    response = post(http, "/codec/encode", {"payloads": [to_json(plain({"nik": NIK}))]})

    [payload] = [from_json(p) for p in response.json()["payloads"]]

    assert await data_converter(CODEC).decode([payload]) == [{"nik": NIK}]


def test_unencrypted_payloads_come_back_from_decode_unchanged(http: httpx.Client) -> None:
    body = {
        "payloads": [
            to_json(plain("teks")),
            {"metadata": {"encoding": b64(b"binary/null")}, "data": ""},
        ]
    }

    response = post(http, "/codec/decode", body)

    assert response.status_code == 200
    assert response.json() == body


def test_an_empty_payload_list_is_answered_with_an_empty_list(http: httpx.Client) -> None:
    response = post(http, "/codec/decode", {"payloads": []})

    assert response.status_code == 200
    assert response.json() == {"payloads": []}


def test_the_openapi_document_describes_both_endpoints_with_the_payloads_schema() -> None:
    document = app_with(TOKEN).openapi()

    schemas = document["components"]["schemas"]
    for path in ("/codec/decode", "/codec/encode"):
        operation = document["paths"][path]["post"]
        body_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert body_ref == "#/components/schemas/CodecPayloads"
        assert {"200", "400", "401", "413", "415"} <= set(operation["responses"])
    assert "payloads" in schemas["CodecPayloads"]["properties"]


# --- refusals ------------------------------------------------------------------------


async def test_a_tampered_payload_is_a_400_naming_the_key_id(http: httpx.Client) -> None:
    [encrypted] = await CODEC.encode([plain({"nik": NIK})])
    document = to_json(encrypted)
    data = bytearray(encrypted.data)
    data[-1] ^= 1
    document["data"] = b64(bytes(data))

    response = post(http, "/codec/decode", {"payloads": [document]})

    assert response.status_code == 400
    assert "'k1'" in response.json()["detail"]
    assert "failed authentication" in response.json()["detail"]
    assert response.headers["access-control-allow-origin"] == UI


async def test_a_payload_under_an_unknown_key_is_a_400_naming_that_key_id(
    http: httpx.Client,
) -> None:
    other = EncryptionCodec({"k0": bytes(32)}, "k0")
    [encrypted] = await other.encode([plain({"nik": NIK})])

    response = post(http, "/codec/decode", {"payloads": [to_json(encrypted)]})

    assert response.status_code == 400
    assert "unknown key id 'k0'" in response.json()["detail"]
    assert NIK not in response.text


NOT_BASE64 = "!!!!"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"{", id="truncated JSON"),
        pytest.param(b"\xff\xfe{}", id="not UTF-8"),
        pytest.param(b"[]", id="array"),
        pytest.param(b'"payloads"', id="string"),
        pytest.param(b"{}", id="no payloads"),
        pytest.param(b'{"payloads": {}}', id="payloads not a list"),
        pytest.param(b'{"payloads": null}', id="payloads null"),
        pytest.param(b'{"payloads": [1]}', id="payload not an object"),
        pytest.param(b'{"payloads": [{"data": "!!!!"}]}', id="data not base64"),
        pytest.param(b'{"payloads": [{"data": "YQ="}]}', id="data badly padded"),
        pytest.param(b'{"payloads": [{"data": "Y"}]}', id="data one char"),
        pytest.param(b'{"payloads": [{"data": 5}]}', id="data a number"),
        pytest.param(b'{"payloads": [{"metadata": []}]}', id="metadata not an object"),
        pytest.param(b'{"payloads": [{"metadata": {"e": "!!"}}]}', id="metadata not base64"),
        pytest.param(b'{"payloads": [{"metadata": {"e": 1}}]}', id="metadata a number"),
        pytest.param(b'{"payloads": [{"nik": "3275094801950033"}]}', id="unknown field"),
        pytest.param(b'{"payloads": [], "extra": true}', id="unknown top-level field"),
        pytest.param(
            b'{"payloads": [{"externalPayloads": [{"sizeBytes": "3275094801950033x"}]}]}',
            id="wrong type deeper",
        ),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, id="absurd nesting"),
        pytest.param(b'{"payloads": [' + b"[" * 5_000 + b"]" * 5_000 + b"]}", id="deep payload"),
        pytest.param(b'{"payloads": [], "n": ' + b"9" * 5_000 + b"}", id="huge integer"),
        pytest.param(b'{"payloads": [{"data": NaN}]}', id="NaN"),
    ],
)
def test_a_malformed_body_is_a_400_that_does_not_echo_it(http: httpx.Client, body: bytes) -> None:
    response = http.post(
        "/codec/decode", content=body, headers={**UI_HEADERS, "Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()["detail"]
    assert NIK not in response.text
    assert NOT_BASE64 not in response.text


def test_a_body_that_is_not_json_by_content_type_is_a_415(http: httpx.Client) -> None:
    response = http.post(
        "/codec/decode",
        content=b'{"payloads": []}',
        headers={**UI_HEADERS, "Content-Type": "text/plain"},
    )

    assert response.status_code == 415


def test_a_json_content_type_with_a_charset_is_accepted(http: httpx.Client) -> None:
    response = http.post(
        "/codec/decode",
        content=b'{"payloads": []}',
        headers={**UI_HEADERS, "Content-Type": "application/json; charset=utf-8"},
    )

    assert response.status_code == 200


def test_a_body_over_the_limit_is_a_413(
    http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(endpoint, "MAX_BODY_BYTES", 1024)
    body = {"payloads": [to_json(Payload(data=b"x" * 2048))]}

    response = post(http, "/codec/decode", body)

    assert response.status_code == 413


def test_a_chunked_body_over_the_limit_is_a_413_too(
    http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(endpoint, "MAX_BODY_BYTES", 1024)

    def chunks() -> Iterator[bytes]:
        yield b'{"payloads": [{"data": "'
        for _ in range(100):
            yield b"QUFB" * 64
        yield b'"}]}'

    response = http.post(
        "/codec/decode",
        content=chunks(),
        headers={**UI_HEADERS, "Content-Type": "application/json"},
    )

    assert "content-length" not in response.request.headers
    assert response.status_code == 413


# --- CORS ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/codec/decode", "/codec/encode"])
def test_a_preflight_from_the_ui_origin_gets_the_cors_headers_without_a_token(
    http: httpx.Client, path: str
) -> None:
    response = http.options(
        path,
        headers={
            "Origin": UI,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-namespace",
        },
    )

    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == UI
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = {h.strip() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "x-namespace"} <= allowed
    assert "Origin" in response.headers["vary"]


@pytest.mark.parametrize(
    "origin", [STRANGER, UI + ".evil.example", "http://localhost:8234", "null"]
)
def test_a_preflight_from_another_origin_gets_no_cors_headers(
    http: httpx.Client, origin: str
) -> None:
    response = http.options(
        "/codec/decode",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-namespace",
        },
    )

    assert not [name for name in response.headers if name.lower().startswith("access-control-")]


def test_a_post_from_the_ui_origin_may_be_read_by_the_ui(http: httpx.Client) -> None:
    response = post(http, "/codec/decode", {"payloads": []})

    assert response.headers["access-control-allow-origin"] == UI


def test_a_post_from_another_origin_may_not_be_read_by_it(http: httpx.Client) -> None:
    response = post(http, "/codec/decode", {"payloads": []}, {**AUTH, "Origin": STRANGER})

    assert "access-control-allow-origin" not in response.headers


# --- authorization -------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        f"Bearer {TOKEN.upper()}",
        f"Bearer  {TOKEN}",
        "Bearer wrong-token",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        f"Basic {TOKEN}",
        TOKEN,
        "Bearer ünïcode".encode(),
    ],
)
@pytest.mark.parametrize("path", ["/codec/decode", "/codec/encode"])
def test_a_request_without_the_token_is_a_401_that_does_not_reveal_it(
    http: httpx.Client, path: str, authorization: str | bytes | None
) -> None:
    headers = {b"Origin": UI.encode(), b"X-Namespace": b"default"}
    if authorization is not None:
        # Bytes: the client would refuse to send a non-ASCII str header itself.
        raw = authorization.encode() if isinstance(authorization, str) else authorization
        headers[b"Authorization"] = raw

    response = http.post(path, json={"payloads": [to_json(plain(NIK))]}, headers=headers)

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["access-control-allow-origin"] == UI
    assert TOKEN not in response.text
    assert NIK not in response.text


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_a_request_with_the_token_is_answered_whatever_the_schemes_case(
    http: httpx.Client, scheme: str
) -> None:
    headers = {"Authorization": f"{scheme} {TOKEN}"}

    response = post(http, "/codec/encode", {"payloads": [to_json(plain(NIK))]}, headers)

    assert response.status_code == 200


def test_without_a_configured_token_no_authorization_is_needed() -> None:
    with serve(app_with(None)) as url:
        response = httpx.post(f"{url}/codec/decode", json={"payloads": [to_json(plain(1))]})

    assert response.status_code == 200
    assert response.json() == {"payloads": [to_json(plain(1))]}


@pytest.mark.parametrize("origin", ["*", "http://localhost:8233/", "localhost:8233", ""])
def test_an_origin_browsers_never_send_is_refused_at_construction(origin: str) -> None:
    with pytest.raises(ValueError, match="origin"):
        codec_router(CODEC, allowed_origins=[origin], token=None)


def test_an_empty_token_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="token"):
        codec_router(CODEC, allowed_origins=[UI], token="")


# --- fuzzing -------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
base64_ish = st.text(alphabet="ABCDEFGHabcdefgh0123456789+/-_=! ", max_size=12)
payload_like = st.dictionaries(
    st.sampled_from(["metadata", "data", "externalPayloads", "nik"]),
    st.one_of(
        base64_ish,
        st.dictionaries(st.text(max_size=10), base64_ish | json_values, max_size=3),
        json_values,
    ),
    max_size=3,
)
bodies = st.one_of(
    json_values,
    st.fixed_dictionaries({"payloads": st.lists(payload_like | json_values, max_size=3)}),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies)
def test_no_json_body_makes_decode_answer_a_5xx(http: httpx.Client, body: object) -> None:
    content = json.dumps(body).encode()

    response = http.post(
        "/codec/decode", content=content, headers={**UI_HEADERS, "Content-Type": "application/json"}
    )

    assert response.status_code in (200, 400)
    assert isinstance(response.json(), dict)


@settings(max_examples=50, deadline=None)
@given(body=st.binary(max_size=256))
def test_no_byte_string_makes_decode_answer_a_5xx(http: httpx.Client, body: bytes) -> None:
    response = http.post(
        "/codec/decode", content=body, headers={**UI_HEADERS, "Content-Type": "application/json"}
    )

    assert response.status_code in (200, 400)
