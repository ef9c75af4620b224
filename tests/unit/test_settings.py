"""Settings are read from SIGNFLOW_* variables and refuse bad values by name."""

from __future__ import annotations

import base64

import pytest

from workers.settings import SettingsError, load_settings

KEY = base64.b64encode(b"k" * 32).decode()


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("SIGNFLOW_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env from the working tree


def test_defaults_are_the_embedded_default() -> None:
    settings = load_settings()
    assert settings.temporal_address == "127.0.0.1:7233"
    assert settings.digisign_base_url == "http://127.0.0.1:8081"
    assert set(settings.encryption_key_bytes()) == {"dev"}


def test_variables_override_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNFLOW_TEMPORAL_ADDRESS", "temporal.internal:7233")
    monkeypatch.setenv("SIGNFLOW_ENCRYPTION_KEYS", f'{{"k2": "{KEY}", "k1": "{KEY}"}}')
    monkeypatch.setenv("SIGNFLOW_ENCRYPTION_KEY_ID", "k2")
    settings = load_settings()
    assert settings.temporal_address == "temporal.internal:7233"
    assert settings.encryption_key_bytes() == {"k2": b"k" * 32, "k1": b"k" * 32}


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SIGNFLOW_GATEWAY_PORT", "eighty"),
        ("SIGNFLOW_GATEWAY_PORT", "70000"),
        ("SIGNFLOW_DIGISIGN_AES_KEY", "too-short"),
        ("SIGNFLOW_ENCRYPTION_KEYS", '{"k1": "not base64!"}'),
        ("SIGNFLOW_ENCRYPTION_KEYS", '{"k1": "c2hvcnQ="}'),
        ("SIGNFLOW_EVENT_AUTH", "basic"),
        ("SIGNFLOW_LOG_FORMAT", "xml"),
        ("SIGNFLOW_MAX_CONCURRENT_ACTIVITIES", "0"),
    ],
)
def test_a_malformed_variable_is_named_and_its_value_is_not_shown(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert variable in str(caught.value)
    assert value not in str(caught.value)


def test_every_bad_variable_is_named_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNFLOW_GATEWAY_PORT", "x")
    monkeypatch.setenv("SIGNFLOW_DIGISIGN_AES_KEY", "y")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "SIGNFLOW_GATEWAY_PORT" in message
    assert "SIGNFLOW_DIGISIGN_AES_KEY" in message


def test_the_current_key_must_be_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNFLOW_ENCRYPTION_KEY_ID", "missing")
    with pytest.raises(SettingsError, match="SIGNFLOW_ENCRYPTION_KEY_ID"):
        load_settings()


def test_hmac_event_auth_needs_its_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNFLOW_EVENT_AUTH", "hmac")
    with pytest.raises(SettingsError, match="SIGNFLOW_EVENT_HMAC_SECRET"):
        load_settings()


def test_secrets_stay_out_of_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNFLOW_DIGISIGN_TOKEN", "prod-token-123456")
    settings = load_settings()
    assert "prod-token-123456" not in repr(settings)
    assert settings.digisign_token.get_secret_value() == "prod-token-123456"
