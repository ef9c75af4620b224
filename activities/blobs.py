"""The blob store: where photos and PDFs live, so that history holds only references.

`BlobStore` is the interface; the filesystem implementation is the default, and
`activities.blobs_s3.S3BlobStore` keeps blobs in S3 or an S3-compatible server
(`SIGNFLOW_BLOB_BACKEND=s3`). References are URLs: `file:///abs/path`,
`s3://bucket/key`, `https://...`.

Every store refuses (`BlobRefused`, never retried) what lies outside it, and reports
what it cannot read or write now (`BlobError`, retried) naming the reference only.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Annotated, Protocol
from urllib.parse import unquote, urlsplit

from pydantic import AfterValidator, Field


def _check_blob_ref(value: str) -> str:
    if not value.startswith(("file://", "s3://", "https://", "http://")):
        raise ValueError("blob reference must be a file://, s3:// or https:// URL")
    return value


BlobRef = Annotated[str, Field(max_length=2048), AfterValidator(_check_blob_ref)]
"""Where a photo or PDF lives. Never the bytes: history is limited and is PII."""


class BlobError(Exception):
    """A blob cannot be read or written. The message names the reference, not the content."""


class BlobRefused(BlobError):
    """A reference this store will never serve (outside it, another scheme): not retried."""


class BlobStore(Protocol):
    """Reads and writes blobs by reference."""

    async def get(self, ref: str) -> bytes:
        """The bytes behind `ref`.

        Raises:
            BlobError: unknown scheme, outside the store, or missing.
        """
        ...

    async def put(self, key: str, data: bytes, *, content_type: str) -> str:
        """Store `data` under `key` (a relative path) and return its reference."""
        ...


class FilesystemBlobStore:
    """Blobs as files under one root directory.

    Reads are confined to the root: a reference that resolves outside it (`..`,
    symlinks) is refused, so a crafted loan event cannot read the worker's files.
    Writes are atomic (temporary file, then rename), so a crash never leaves half a PDF.
    """

    def __init__(self, root: Path) -> None:
        self._root = root.resolve()

    def __repr__(self) -> str:
        return f"FilesystemBlobStore({str(self._root)!r})"

    def ref(self, key: str) -> str:
        """The reference of `key` in this store (whether or not it exists)."""
        return self._path(key).as_uri()

    async def get(self, ref: str) -> bytes:
        """Read the file behind a `file://` reference inside the root."""
        path = self._path_of_ref(ref)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise BlobError(f"blob not found: {ref}") from None
        except OSError as exc:
            raise BlobError(f"blob not readable: {ref} ({exc.strerror})") from None

    async def put(self, key: str, data: bytes, *, content_type: str) -> str:
        """Write `data` to `<root>/<key>` atomically and return its `file://` reference."""
        path = self._path(key)
        await asyncio.to_thread(_write_atomically, path, data)
        return path.as_uri()

    def _path(self, key: str) -> Path:
        path = (self._root / key).resolve()
        if not path.is_relative_to(self._root):
            raise BlobRefused(f"blob key leaves the store: {key}")
        return path

    def _path_of_ref(self, ref: str) -> Path:
        parts = urlsplit(ref)
        if parts.scheme != "file":
            raise BlobRefused(f"filesystem store cannot read {parts.scheme}:// references")
        path = Path(unquote(parts.path)).resolve()
        if not path.is_relative_to(self._root):
            raise BlobRefused(f"blob outside the store: {ref}")
        return path


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
