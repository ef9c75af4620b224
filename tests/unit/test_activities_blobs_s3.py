"""What only the S3 store does: content type and encryption on the object, S3's errors
as BlobErrors without secrets, boto3 imported only when chosen, and the worker's
factory choosing by SIGNFLOW_BLOB_BACKEND. Against moto's real HTTP server.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from activities.blobs import BlobError, BlobRefused, FilesystemBlobStore
from activities.blobs_s3 import S3BlobStore, S3Config
from tests.support.servers import free_port
from tests.unit.fixtures.samples import JPEG, PDF
from tests.unit.s3_server import BUCKET, PREFIX, Keys, MotoS3, moto_s3
from workers.runtime import blob_store
from workers.settings import SettingsError, load_settings


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoS3]:
    with moto_s3() as server:
        yield server


@pytest.fixture
def open_stores() -> Iterator[list[S3BlobStore]]:
    """Stores a test builds; closed afterwards."""
    stores: list[S3BlobStore] = []
    yield stores
    for store in stores:
        store.close()


MakeStore = Callable[[S3Config], S3BlobStore]


@pytest.fixture
def make_store(open_stores: list[S3BlobStore]) -> MakeStore:
    def make(config: S3Config) -> S3BlobStore:
        store = S3BlobStore(config)
        open_stores.append(store)
        return store

    return make


@pytest.fixture
def store(moto: MotoS3, open_stores: list[S3BlobStore]) -> S3BlobStore:
    store = S3BlobStore(moto.config())
    open_stores.append(store)
    return store


async def test_the_object_carries_the_content_type_and_is_encrypted(
    store: S3BlobStore, moto: MotoS3
) -> None:
    await store.put("photos/ktp.jpg", JPEG, content_type="image/jpeg")

    head = moto.admin.head_object(Bucket=BUCKET, Key=f"{PREFIX}photos/ktp.jpg")
    assert head["ContentType"] == "image/jpeg"
    assert head["ServerSideEncryption"] == "AES256"


@pytest.mark.parametrize(("sse", "expected"), [("aws:kms", "aws:kms"), ("none", None)])
async def test_server_side_encryption_is_configurable(
    moto: MotoS3, make_store: MakeStore, sse: str, expected: str | None
) -> None:
    store = make_store(moto.config(sse=sse))

    await store.put(f"sse/{sse}.pdf", PDF, content_type="application/pdf")

    head = moto.admin.head_object(Bucket=BUCKET, Key=f"{PREFIX}sse/{sse}.pdf")
    assert head.get("ServerSideEncryption") == expected


async def test_the_key_is_stored_literally_and_the_reference_is_percent_encoded(
    store: S3BlobStore, moto: MotoS3
) -> None:
    ref = await store.put("loan 7/a?b#c.pdf", PDF, content_type="application/pdf")

    assert ref == f"s3://{BUCKET}/{PREFIX}loan%207/a%3Fb%23c.pdf"
    assert f"{PREFIX}loan 7/a?b#c.pdf" in moto.object_keys()
    assert await store.get(ref) == PDF


async def test_a_prefix_without_its_slash_still_confines_to_the_folder(
    moto: MotoS3, make_store: MakeStore
) -> None:
    store = make_store(moto.config(prefix="signflow"))
    moto.admin.put_object(Bucket=BUCKET, Key="signflow-other/secret.txt", Body=b"secret")

    ref = await store.put("doc.pdf", PDF, content_type="application/pdf")

    assert ref == f"s3://{BUCKET}/signflow/doc.pdf"
    with pytest.raises(BlobRefused, match="outside the store"):
        await store.get(f"s3://{BUCKET}/signflow-other/secret.txt")


async def test_a_wrong_secret_is_a_retryable_error_that_does_not_show_it(
    moto: MotoS3, make_store: MakeStore
) -> None:
    wrong = "wrong-secret-0123456789abcdef"
    store = make_store(moto.config(Keys(moto.worker.access_key_id, wrong), max_attempts=1))
    ref = store.ref("photos/ktp.jpg")

    for attempt in (store.get(ref), store.put("photos/ktp.jpg", JPEG, content_type="image/jpeg")):
        with pytest.raises(BlobError) as caught:
            await attempt
        message = str(caught.value)
        assert not isinstance(caught.value, BlobRefused)
        assert "credentials refused: SignatureDoesNotMatch" in message
        assert ref in message
        assert wrong not in message
        assert moto.worker.secret_access_key not in message
    assert wrong not in repr(store)


async def test_an_unknown_access_key_is_a_retryable_error(
    moto: MotoS3, make_store: MakeStore
) -> None:
    store = make_store(
        moto.config(Keys("AKIAUNKNOWN000000000", "some-secret-value"), max_attempts=1)
    )

    with pytest.raises(BlobError, match="credentials refused: InvalidAccessKeyId") as caught:
        await store.get(store.ref("photos/ktp.jpg"))

    assert not isinstance(caught.value, BlobRefused)
    assert "some-secret-value" not in str(caught.value)


async def test_access_denied_is_retryable_because_an_operator_can_fix_it(
    moto: MotoS3, make_store: MakeStore
) -> None:
    store = make_store(moto.config(moto.denied, max_attempts=1))

    moto.admin.put_object(Bucket=BUCKET, Key=f"{PREFIX}denied/ktp.jpg", Body=JPEG)

    for attempt in (
        store.get(store.ref("denied/ktp.jpg")),
        store.put("denied/selfie.jpg", JPEG, content_type="image/jpeg"),
    ):
        with pytest.raises(BlobError, match="access denied") as caught:
            await attempt
        assert not isinstance(caught.value, BlobRefused)
    assert f"{PREFIX}denied/selfie.jpg" not in moto.object_keys()


async def test_a_missing_bucket_is_named_as_such(moto: MotoS3, make_store: MakeStore) -> None:
    store = make_store(moto.config(moto.admin_keys, bucket="no-such-bucket", max_attempts=1))

    with pytest.raises(BlobError, match="the bucket does not exist"):
        await store.put("doc.pdf", PDF, content_type="application/pdf")


async def test_a_server_that_is_down_is_a_retryable_error(
    moto: MotoS3, make_store: MakeStore
) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    store = make_store(moto.config(endpoint_url=down, max_attempts=1, connect_timeout=1))
    ref = store.ref("doc.pdf")

    for attempt in (store.get(ref), store.put("doc.pdf", PDF, content_type="application/pdf")):
        with pytest.raises(BlobError, match="blob store unreachable") as caught:
            await attempt
        assert not isinstance(caught.value, BlobRefused)
        assert ref in str(caught.value)
        assert moto.worker.secret_access_key not in str(caught.value)


async def test_without_keys_the_default_credential_chain_is_used(
    moto: MotoS3, make_store: MakeStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", moto.worker.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", moto.worker.secret_access_key)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    store = make_store(moto.config(access_key_id=None, secret_access_key=None))

    ref = await store.put("chain.pdf", PDF, content_type="application/pdf")

    assert await store.get(ref) == PDF


def test_importing_the_store_and_the_worker_does_not_import_boto3() -> None:
    code = (
        "import sys, activities.blobs_s3, workers.runtime, workers.settings\n"
        "assert 'boto3' not in sys.modules and 'botocore' not in sys.modules, 'imported'\n"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )

    assert done.returncode == 0, done.stderr


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("SIGNFLOW_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env from the working tree


@pytest.mark.usefixtures("clean_environment")
def test_the_factory_builds_the_filesystem_store_by_default(tmp_path: Path) -> None:
    store = blob_store(load_settings(blob_root=tmp_path / "blobs"))

    assert isinstance(store, FilesystemBlobStore)


@pytest.mark.usefixtures("clean_environment")
async def test_the_factory_builds_the_s3_store_from_signflow_variables(
    moto: MotoS3, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "SIGNFLOW_BLOB_BACKEND": "s3",
        "SIGNFLOW_S3_BUCKET": BUCKET,
        "SIGNFLOW_S3_PREFIX": PREFIX,
        "SIGNFLOW_S3_ENDPOINT_URL": moto.endpoint,
        "SIGNFLOW_S3_ACCESS_KEY_ID": moto.worker.access_key_id,
        "SIGNFLOW_S3_SECRET_ACCESS_KEY": moto.worker.secret_access_key,
    }.items():
        monkeypatch.setenv(name, value)
    store = blob_store(load_settings())
    assert isinstance(store, S3BlobStore)
    try:
        ref = await store.put("factory.pdf", PDF, content_type="application/pdf")
        assert ref == f"s3://{BUCKET}/{PREFIX}factory.pdf"
        assert await store.get(ref) == PDF
        head = moto.admin.head_object(Bucket=BUCKET, Key=f"{PREFIX}factory.pdf")
        assert head["ServerSideEncryption"] == "AES256"
    finally:
        store.close()


@pytest.mark.usefixtures("clean_environment")
def test_the_factory_says_how_to_install_boto3_when_it_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = load_settings(blob_backend="s3", s3_bucket=BUCKET)
    for name in [m for m in sys.modules if m == "boto3" or m.startswith("boto3.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "boto3", None)  # what `import boto3` sees uninstalled

    with pytest.raises(
        SettingsError, match=r"SIGNFLOW_BLOB_BACKEND=s3 needs boto3.*signflow\[s3\]"
    ):
        blob_store(settings)


def test_a_secret_config_does_not_show_its_keys() -> None:
    config = S3Config(
        bucket=BUCKET,
        access_key_id=SecretStr("AKIAEXAMPLE"),
        secret_access_key=SecretStr("very-secret-value"),
    )

    assert "very-secret-value" not in repr(config)
    assert "AKIAEXAMPLE" not in repr(config)


def test_the_worker_refuses_to_start_with_s3_and_no_bucket(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNFLOW_")}
    env["SIGNFLOW_BLOB_BACKEND"] = "s3"
    script = str(Path(sys.executable).parent / "signflow")

    done = subprocess.run(  # noqa: S603 - the project's own script
        [script, "worker"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 2
    assert "SIGNFLOW_S3_BUCKET: required when SIGNFLOW_BLOB_BACKEND is s3" in done.stderr
