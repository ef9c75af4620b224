"""Every blob store keeps the same promises: the filesystem store, and the S3 store
against a real S3-compatible HTTP server (moto's, with signatures and IAM policies on).

Each test runs once per store. A store-specific `Case` says how that store spells a
reference to another scheme, to a place outside it, to something missing; the
"outside" references all point at blobs that really exist, so a refusal is a
refusal, not a miss.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from activities.blobs import BlobError, BlobRefused, FilesystemBlobStore
from activities.blobs_s3 import S3BlobStore
from tests.unit.fixtures.samples import JPEG, PDF
from tests.unit.s3_server import BUCKET, OTHER_BUCKET, MotoS3, moto_s3

SECRET = b"worker secret: must never be served"


@dataclass
class Case:
    """One store under test, with the references it must refuse."""

    store: FilesystemBlobStore | S3BlobStore
    scheme: str
    foreign_refs: list[str]
    outside_refs: list[str]
    written: Any = field(repr=False)
    """`written()`: every blob now in the store's backing storage, for "nothing written"."""


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoS3]:
    with moto_s3() as server:
        yield server


def filesystem_case(tmp_path: Path) -> Iterator[Case]:
    root = tmp_path / "blobs"
    root.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(SECRET)
    (tmp_path / "blobs-other").mkdir()
    (tmp_path / "blobs-other" / "secret.txt").write_bytes(SECRET)
    yield Case(
        store=FilesystemBlobStore(root),
        scheme="file",
        foreign_refs=["s3://bucket/photos/ktp.jpg", "https://blobs.example.com/photos/ktp.jpg"],
        outside_refs=[
            (outside / "secret.txt").as_uri(),
            (tmp_path / "blobs-other" / "secret.txt").as_uri(),
            f"{root.as_uri()}/../outside/secret.txt",
            f"{root.as_uri()}/photos/../../outside/secret.txt",
        ],
        written=lambda: sorted(
            str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()
        ),
    )


def s3_case(moto: MotoS3) -> Iterator[Case]:
    planted = {
        (OTHER_BUCKET, "signflow/secret.txt"),
        (BUCKET, "elsewhere/secret.txt"),
        (BUCKET, "signflow-other/secret.txt"),
    }
    for bucket, key in planted:
        moto.admin.put_object(Bucket=bucket, Key=key, Body=SECRET)
    store = S3BlobStore(moto.config())
    yield Case(
        store=store,
        scheme="s3",
        foreign_refs=["file:///etc/passwd", "https://blobs.example.com/photos/ktp.jpg"],
        outside_refs=[
            f"s3://{OTHER_BUCKET}/signflow/secret.txt",
            f"s3://{BUCKET}/elsewhere/secret.txt",
            f"s3://{BUCKET}/signflow-other/secret.txt",
            f"s3://{BUCKET}/signflow/../elsewhere/secret.txt",
            f"s3://{BUCKET}/signflow/%2E%2E/elsewhere/secret.txt",
            f"s3://{BUCKET}/signflow//../elsewhere/secret.txt",
            f"s3://{BUCKET}@{OTHER_BUCKET}/signflow/secret.txt",
            f"s3://{BUCKET}/signflow/secret.txt?versionId=1",
        ],
        written=lambda: [f"{b}/{k}" for b in (BUCKET, OTHER_BUCKET) for k in moto.object_keys(b)],
    )
    store.close()
    for bucket in (BUCKET, OTHER_BUCKET):
        for key in moto.object_keys(bucket):
            moto.admin.delete_object(Bucket=bucket, Key=key)


@pytest.fixture(params=["filesystem", "s3"])
def case(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Case]:
    if request.param == "filesystem":
        yield from filesystem_case(tmp_path)
    else:
        yield from s3_case(request.getfixturevalue("moto"))


async def test_put_returns_a_reference_that_get_reads_back(case: Case) -> None:
    ref = await case.store.put("signed/doc1.pdf", PDF, content_type="application/pdf")

    assert ref.startswith(f"{case.scheme}://")
    assert ref == case.store.ref("signed/doc1.pdf")
    assert await case.store.get(ref) == PDF


async def test_put_replaces_an_existing_blob(case: Case) -> None:
    await case.store.put("photo.jpg", PDF, content_type="application/pdf")
    ref = await case.store.put("photo.jpg", JPEG, content_type="image/jpeg")

    assert await case.store.get(ref) == JPEG


@pytest.mark.parametrize("key", ["loan 7/ktp photo.jpg", "loan/foto ktp ñ 100%.jpg"])
async def test_a_key_with_spaces_and_symbols_round_trips_through_its_url(
    case: Case, key: str
) -> None:
    ref = await case.store.put(key, JPEG, content_type="image/jpeg")

    assert " " not in ref
    assert await case.store.get(ref) == JPEG


@pytest.mark.parametrize(
    ("content_type", "data"),
    [("application/pdf", PDF), ("image/jpeg", JPEG), ("application/octet-stream", bytes(256))],
)
async def test_bytes_come_back_unchanged_whatever_the_content_type(
    case: Case, content_type: str, data: bytes
) -> None:
    ref = await case.store.put("blob", data, content_type=content_type)

    assert await case.store.get(ref) == data


async def test_a_missing_blob_is_a_retryable_blob_error_naming_the_reference(
    case: Case,
) -> None:
    ref = case.store.ref("photos/never-uploaded.jpg")

    with pytest.raises(BlobError) as caught:
        await case.store.get(ref)

    assert not isinstance(caught.value, BlobRefused)  # an upload may be in flight
    assert "not found" in str(caught.value)
    assert ref in str(caught.value)


async def test_references_of_other_schemes_are_refused(case: Case) -> None:
    for ref in case.foreign_refs:
        scheme = ref.split(":", 1)[0]
        with pytest.raises(BlobRefused, match=f"cannot read {scheme}://"):
            await case.store.get(ref)


async def test_references_outside_the_store_are_refused_though_the_blob_exists(
    case: Case,
) -> None:
    for ref in case.outside_refs:
        with pytest.raises(BlobRefused, match="outside the store") as caught:
            await case.store.get(ref)
        assert SECRET.decode() not in str(caught.value)


@pytest.mark.parametrize(
    "key", ["../outside.pdf", "signed/../../outside.pdf", "/outside.pdf", "/srv/outside.pdf"]
)
async def test_a_key_leaving_the_store_is_refused_and_nothing_is_written(
    case: Case, key: str
) -> None:
    before = case.written()

    with pytest.raises(BlobRefused, match="leaves the store"):
        await case.store.put(key, PDF, content_type="application/pdf")
    with pytest.raises(BlobRefused, match="leaves the store"):
        case.store.ref(key)

    assert case.written() == before


async def test_a_blob_of_a_few_megabytes_round_trips(case: Case) -> None:
    data = bytes(range(256)) * (5 * 4096)  # 5 MiB, every byte value

    ref = await case.store.put("signed/large.pdf", data, content_type="application/pdf")

    assert await case.store.get(ref) == data


async def test_concurrent_puts_of_different_keys_all_land(case: Case) -> None:
    blobs = {f"photos/{n}.jpg": JPEG + n.to_bytes(4, "big") for n in range(24)}

    refs = await asyncio.gather(
        *(case.store.put(key, data, content_type="image/jpeg") for key, data in blobs.items())
    )

    assert len(set(refs)) == len(blobs)
    assert await asyncio.gather(*(case.store.get(ref) for ref in refs)) == list(blobs.values())


async def test_concurrent_puts_of_one_key_leave_one_whole_blob(case: Case) -> None:
    versions = [bytes([n]) * 300_000 for n in range(8)]

    refs = await asyncio.gather(
        *(case.store.put("signed/doc.pdf", v, content_type="application/pdf") for v in versions)
    )

    assert len(set(refs)) == 1
    assert await case.store.get(refs[0]) in versions  # never a mix, never a prefix
