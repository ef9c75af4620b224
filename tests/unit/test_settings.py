"""Settings are read from SIGNFLOW_* variables and refuse bad values by name."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from workers.health import parse_bind_address
from workers.settings import SANDBOX_TOKEN, SettingsError, load_settings

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


def test_blobs_stay_on_the_filesystem_unless_s3_is_chosen() -> None:
    settings = load_settings()
    assert settings.blob_backend == "filesystem"
    assert settings.s3_prefix == "signflow/"
    assert settings.s3_region == "ap-southeast-3"
    assert settings.s3_sse == "AES256"
    assert settings.s3_endpoint_url is None
    assert settings.s3_access_key_id is None
    assert settings.health_bind_address is None


def test_the_s3_backend_reads_its_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "SIGNFLOW_BLOB_BACKEND": "s3",
        "SIGNFLOW_S3_BUCKET": "lender-signflow",
        "SIGNFLOW_S3_PREFIX": "prod/signflow",
        "SIGNFLOW_S3_ENDPOINT_URL": "http://minio:9000",
        "SIGNFLOW_S3_REGION": "us-east-1",
        "SIGNFLOW_S3_ACCESS_KEY_ID": "minio-user",
        "SIGNFLOW_S3_SECRET_ACCESS_KEY": "minio-secret-123",
        "SIGNFLOW_S3_SSE": "none",
        "SIGNFLOW_HEALTH_BIND_ADDRESS": "0.0.0.0:8090",
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.blob_backend == "s3"
    assert settings.s3_bucket == "lender-signflow"
    assert settings.s3_prefix == "prod/signflow/"
    assert settings.s3_endpoint_url == "http://minio:9000"
    assert settings.s3_region == "us-east-1"
    assert settings.s3_access_key_id is not None
    assert settings.s3_secret_access_key is not None
    assert settings.s3_secret_access_key.get_secret_value() == "minio-secret-123"
    assert settings.s3_sse == "none"
    assert settings.health_bind_address == "0.0.0.0:8090"
    assert "minio-secret-123" not in repr(settings)


def test_the_s3_backend_needs_a_bucket(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNFLOW_BLOB_BACKEND", "s3")
    with pytest.raises(SettingsError, match="SIGNFLOW_S3_BUCKET: required when"):
        load_settings()


def test_empty_optional_variables_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    # What compose writes for `${VAR:-}`.
    for name in (
        "SIGNFLOW_S3_ENDPOINT_URL",
        "SIGNFLOW_S3_ACCESS_KEY_ID",
        "SIGNFLOW_S3_SECRET_ACCESS_KEY",
        "SIGNFLOW_HEALTH_BIND_ADDRESS",
    ):
        monkeypatch.setenv(name, "")
    settings = load_settings()
    assert settings.s3_endpoint_url is None
    assert settings.s3_access_key_id is None
    assert settings.health_bind_address is None


def test_s3_keys_come_in_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNFLOW_S3_SECRET_ACCESS_KEY", "lonely-secret-value")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "SIGNFLOW_S3_ACCESS_KEY_ID and SIGNFLOW_S3_SECRET_ACCESS_KEY" in str(caught.value)
    assert "lonely-secret-value" not in str(caught.value)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SIGNFLOW_BLOB_BACKEND", "gcs"),
        ("SIGNFLOW_S3_BUCKET", "Not_A_Bucket"),
        ("SIGNFLOW_S3_PREFIX", "/absolute/"),
        ("SIGNFLOW_S3_PREFIX", "signflow/../other/"),
        ("SIGNFLOW_S3_ENDPOINT_URL", "minio:9000"),
        ("SIGNFLOW_S3_SSE", "aws:kms:dsse"),
        ("SIGNFLOW_HEALTH_BIND_ADDRESS", "localhost"),
        ("SIGNFLOW_HEALTH_BIND_ADDRESS", "0.0.0.0:99999"),
    ],
)
def test_a_malformed_new_variable_is_named(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert variable in str(caught.value)
    assert value not in str(caught.value)


@pytest.mark.parametrize(
    ("value", "host", "port"),
    [("127.0.0.1:8090", "127.0.0.1", 8090), ("[::1]:8090", "::1", 8090), (":8090", None, 8090)],
)
def test_the_health_address_is_host_and_port(
    monkeypatch: pytest.MonkeyPatch, value: str, host: str | None, port: int
) -> None:
    monkeypatch.setenv("SIGNFLOW_HEALTH_BIND_ADDRESS", value)
    address = load_settings().health_bind_address

    assert address is not None
    assert parse_bind_address(address) == (host, port)


@pytest.fixture
def secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A secrets directory, named by SIGNFLOW_SECRETS_DIR, as Docker and Kubernetes mount it."""
    directory = tmp_path / "secrets"
    directory.mkdir()
    monkeypatch.setenv("SIGNFLOW_SECRETS_DIR", str(directory))
    return directory


@pytest.mark.parametrize("file_name", ["signflow_digisign_token", "SIGNFLOW_DIGISIGN_TOKEN"])
def test_a_file_in_the_secrets_dir_named_like_the_variable_supplies_it(
    secrets: Path, file_name: str
) -> None:
    (secrets / file_name).write_text("token-from-file-0001\n")  # the newline is dropped

    settings = load_settings()

    assert settings.digisign_token.get_secret_value() == "token-from-file-0001"


def test_a_kubernetes_secret_volume_with_its_symlinks_supplies_values(secrets: Path) -> None:
    # Kubernetes mounts each key as a symlink through `..data` to a timestamped
    # directory, so that updates swap atomically.
    version = secrets / "..2026_11_30_01_00_00.123456789"
    version.mkdir()
    (version / "SIGNFLOW_DIGISIGN_TOKEN").write_text("token-from-kubernetes")
    (secrets / "..data").symlink_to(version.name, target_is_directory=True)
    (secrets / "SIGNFLOW_DIGISIGN_TOKEN").symlink_to("..data/SIGNFLOW_DIGISIGN_TOKEN")

    settings = load_settings()

    assert settings.digisign_token.get_secret_value() == "token-from-kubernetes"


def test_a_dictionary_comes_from_its_file_as_json(secrets: Path) -> None:
    other = base64.b64encode(b"o" * 32).decode()
    (secrets / "SIGNFLOW_ENCRYPTION_KEYS").write_text(json.dumps({"k2": KEY, "k1": other}))
    (secrets / "signflow_encryption_key_id").write_text("k2")
    (secrets / "signflow_s3_secret_access_key").write_text("s3-secret-from-file")
    (secrets / "signflow_s3_access_key_id").write_text("s3-key-from-file")

    settings = load_settings()

    assert settings.encryption_key_bytes() == {"k2": b"k" * 32, "k1": b"o" * 32}
    assert settings.encryption_key_id == "k2"
    assert settings.s3_secret_access_key is not None
    assert settings.s3_secret_access_key.get_secret_value() == "s3-secret-from-file"


def test_the_environment_wins_over_a_secret_file(
    secrets: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (secrets / "signflow_digisign_token").write_text("token-from-file")
    monkeypatch.setenv("SIGNFLOW_DIGISIGN_TOKEN", "token-from-environment")

    settings = load_settings()

    assert settings.digisign_token.get_secret_value() == "token-from-environment"


def test_a_malformed_secret_file_is_named_without_its_value(secrets: Path) -> None:
    (secrets / "signflow_encryption_keys").write_text('{"k1": "not-base64-secret!"}')
    (secrets / "signflow_digisign_aes_key").write_text("short-secret")

    with pytest.raises(SettingsError) as caught:
        load_settings()

    message = str(caught.value)
    assert "SIGNFLOW_ENCRYPTION_KEYS" in message
    assert "SIGNFLOW_DIGISIGN_AES_KEY" in message
    assert "not-base64-secret" not in message
    assert "short-secret" not in message


@pytest.mark.parametrize("make", ["missing", "file"])
def test_a_secrets_dir_that_is_not_a_directory_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make: str
) -> None:
    path = tmp_path / "run-secrets"
    if make == "file":
        path.write_text("signflow_digisign_token=leaked-value")
    monkeypatch.setenv("SIGNFLOW_SECRETS_DIR", str(path))

    with pytest.raises(SettingsError, match="SIGNFLOW_SECRETS_DIR") as caught:
        load_settings()

    assert "leaked-value" not in str(caught.value)


def test_an_empty_secrets_dir_variable_reads_no_files(monkeypatch: pytest.MonkeyPatch) -> None:
    # Only a named directory is read: never /run/secrets or the working directory
    # implicitly, and an empty value (compose's `${VAR:-}`) names none.
    monkeypatch.setenv("SIGNFLOW_SECRETS_DIR", "")
    Path("signflow_digisign_token").write_text("implicit-token")  # cwd is tmp_path

    assert load_settings().digisign_token.get_secret_value() == SANDBOX_TOKEN
