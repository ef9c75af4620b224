"""The filesystem blob store: round trips, atomic writes, and reads confined to its root."""

from __future__ import annotations

from pathlib import Path

import pytest

from activities.blobs import BlobError, FilesystemBlobStore
from tests.unit.fixtures.samples import JPEG, PDF


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "blobs"
    root.mkdir()
    return root


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory beside the store holding a file the store must never serve."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"worker secret")
    return outside


@pytest.fixture
def escape(root: Path, outside: Path) -> Path:
    """A symlink inside the store pointing at `outside`."""
    link = root / "escape"
    link.symlink_to(outside, target_is_directory=True)
    return link


@pytest.fixture
def store(root: Path) -> FilesystemBlobStore:
    return FilesystemBlobStore(root)


def files_under(path: Path) -> list[str]:
    """Every file below `path`, hidden ones included, relative and sorted."""
    return sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file())


async def test_put_returns_a_file_reference_that_get_reads_back(
    store: FilesystemBlobStore, root: Path
) -> None:
    ref = await store.put("signed/doc1.pdf", PDF, content_type="application/pdf")

    assert ref.startswith("file:///")
    assert ref == store.ref("signed/doc1.pdf")
    assert await store.get(ref) == PDF
    assert (root / "signed" / "doc1.pdf").read_bytes() == PDF


async def test_put_replaces_an_existing_blob(store: FilesystemBlobStore) -> None:
    await store.put("photo.jpg", PDF, content_type="application/pdf")
    ref = await store.put("photo.jpg", JPEG, content_type="image/jpeg")

    assert await store.get(ref) == JPEG


async def test_a_key_with_spaces_round_trips_through_its_url(store: FilesystemBlobStore) -> None:
    ref = await store.put("loan 7/ktp photo.jpg", JPEG, content_type="image/jpeg")

    assert " " not in ref
    assert await store.get(ref) == JPEG


async def test_writes_leave_no_temporary_files_behind(
    store: FilesystemBlobStore, root: Path
) -> None:
    await store.put("signed/doc1.pdf", PDF, content_type="application/pdf")
    await store.put("signed/doc1.pdf", PDF + b"%signed", content_type="application/pdf")
    await store.put("photos/selfie.jpg", JPEG, content_type="image/jpeg")

    assert files_under(root) == ["photos/selfie.jpg", "signed/doc1.pdf"]


async def test_a_failed_write_removes_its_temporary_file(
    store: FilesystemBlobStore, root: Path
) -> None:
    # A directory where the blob should go: the final rename fails.
    (root / "signed" / "doc1.pdf").mkdir(parents=True)

    with pytest.raises(OSError):  # noqa: PT011 - the OS decides which subclass
        await store.put("signed/doc1.pdf", PDF, content_type="application/pdf")

    assert files_under(root) == []


async def test_a_reference_outside_the_root_is_refused(store: FilesystemBlobStore) -> None:
    with pytest.raises(BlobError, match="outside the store"):
        await store.get("file:///etc/passwd")


async def test_a_reference_climbing_out_with_dot_dot_is_refused(
    store: FilesystemBlobStore, root: Path, outside: Path
) -> None:
    with pytest.raises(BlobError, match="outside the store"):
        await store.get(f"{root.as_uri()}/../outside/secret.txt")


@pytest.mark.parametrize("key", ["../outside.pdf", "signed/../../outside.pdf", "{tmp}/outside.pdf"])
async def test_a_key_leaving_the_root_is_refused_and_nothing_is_written(
    store: FilesystemBlobStore, tmp_path: Path, key: str
) -> None:
    key = key.format(tmp=tmp_path)  # the last one is an absolute path

    with pytest.raises(BlobError, match="leaves the store"):
        await store.put(key, PDF, content_type="application/pdf")

    with pytest.raises(BlobError, match="leaves the store"):
        store.ref(key)
    assert not (tmp_path / "outside.pdf").exists()


async def test_a_symlink_pointing_out_of_the_root_is_refused_for_reads_and_writes(
    store: FilesystemBlobStore, escape: Path, outside: Path
) -> None:
    with pytest.raises(BlobError, match="outside the store"):
        await store.get((escape / "secret.txt").as_uri())
    with pytest.raises(BlobError, match="leaves the store"):
        await store.put("escape/planted.pdf", PDF, content_type="application/pdf")
    assert files_under(outside) == ["secret.txt"]


@pytest.mark.parametrize(
    "ref", ["s3://bucket/photos/ktp.jpg", "https://blobs.example.com/photos/ktp.jpg"]
)
async def test_references_of_other_schemes_are_refused(
    store: FilesystemBlobStore, ref: str
) -> None:
    scheme = ref.split(":", 1)[0]

    with pytest.raises(BlobError, match=f"cannot read {scheme}://"):
        await store.get(ref)


async def test_a_missing_blob_is_a_blob_error_naming_the_reference(
    store: FilesystemBlobStore,
) -> None:
    ref = store.ref("photos/never-uploaded.jpg")

    with pytest.raises(BlobError) as caught:
        await store.get(ref)

    assert "not found" in str(caught.value)
    assert ref in str(caught.value)
