"""The S3 blob store: blobs as objects under one prefix of one bucket (AWS S3, MinIO, ...).

boto3 is an optional extra (`pip install 'signflow[s3]'`): it is imported when an
`S3BlobStore` is built, never when this module is, so the filesystem default runs
without it. boto3 is synchronous; every call runs in a thread (`asyncio.to_thread`)
so the worker's event loop never waits on the network.

References are `s3://<bucket>/<prefix><key>`, the key percent-encoded like a URL
path (a space is `%20`), so `?` and `#` in a key cannot change what a reference
means. The store keeps the filesystem store's promises:

    BlobRefused (never retried)
      ├── another scheme (`file://`, `https://`)
      ├── another bucket, or outside the configured prefix
      └── a key or reference with `..`, `.`, empty segments or a leading `/`
    BlobError (retried by the activity's retry policy)
      ├── not found (NoSuchKey)
      ├── access denied, credentials refused: fixable by an operator without
      │   touching the lifecycle, and S3 answers 403 instead of 404 for a missing key
      │   when the worker may not list the bucket, so retrying is the safe side
      └── unreachable (connection refused, timeouts)

Messages name the reference and S3's error code, never the content or credentials.
Puts are atomic by nature of S3 (an object appears whole or not at all); they set
the content type and ask for server-side encryption (PDFs and photos are PII).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote, unquote, urlsplit

from pydantic import SecretStr

from activities.blobs import BlobError, BlobRefused

ServerSideEncryption = Literal["AES256", "aws:kms", "none"]

_MAX_KEY_BYTES = 1024  # S3's limit on an object key
_NOT_FOUND = frozenset({"NoSuchKey", "NotFound", "404"})
_DENIED = frozenset({"AccessDenied", "AllAccessDisabled", "Forbidden", "403"})
_CREDENTIALS = frozenset(
    {
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "InvalidToken",
        "TokenRefreshRequired",
        "InvalidClientTokenId",
    }
)
_ERROR_CODE = re.compile(r"[A-Za-z0-9.]{1,64}")


@dataclass(frozen=True)
class S3Config:
    """Where the S3 store keeps its blobs and how it reaches them.

    Attributes:
        bucket: the bucket; references to any other bucket are refused.
        prefix: every key lives under it (`signflow/`); `""` is the whole bucket.
        endpoint_url: an S3-compatible server (MinIO); `None` is AWS.
        region: the bucket's region.
        access_key_id: with `secret_access_key`; `None` is boto3's default credential
            chain (environment, IRSA web identity, instance profile).
        secret_access_key: see `access_key_id`.
        sse: server-side encryption asked for on every put; `none` for servers
            without it (MinIO without a KMS).
        connect_timeout: seconds to open a connection.
        read_timeout: seconds to wait for a read on an open connection.
        max_attempts: botocore's own tries per call (standard retry mode), before the
            activity's retry policy takes over.
        max_pool_connections: concurrent connections, one per concurrent activity.
    """

    bucket: str
    prefix: str = "signflow/"
    endpoint_url: str | None = None
    region: str = "ap-southeast-3"
    access_key_id: SecretStr | None = None
    secret_access_key: SecretStr | None = None
    sse: ServerSideEncryption = "AES256"
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    max_attempts: int = 3
    max_pool_connections: int = 32


def normalise_prefix(prefix: str) -> str:
    """`prefix` with a trailing `/` (so `signflow` cannot match `signflow-other/`).

    Raises:
        ValueError: a leading `/`, or a `.`, `..` or empty segment.
    """
    if not prefix:
        return ""
    prefix = prefix if prefix.endswith("/") else f"{prefix}/"
    if not _is_clean_key(prefix[:-1]):
        raise ValueError("prefix must be relative, without '.', '..' or empty segments")
    return prefix


class S3BlobStore:
    """Blobs as objects under one prefix of one S3 bucket."""

    def __init__(self, config: S3Config, *, client: Any = None) -> None:
        """Build the store and its boto3 client (which is thread-safe, shared by all calls).

        Args:
            config: bucket, prefix, endpoint, credentials and encryption.
            client: a boto3 S3 client to use instead of one built from `config`.

        Raises:
            ImportError: boto3 is not installed (`pip install 'signflow[s3]'`).
            ValueError: the prefix is malformed.
        """
        self._bucket = config.bucket
        self._prefix = normalise_prefix(config.prefix)
        self._client = client if client is not None else _make_client(config)
        self._encryption: dict[str, str] = (
            {} if config.sse == "none" else {"ServerSideEncryption": config.sse}
        )

    def __repr__(self) -> str:
        return f"S3BlobStore('s3://{self._bucket}/{self._prefix}')"

    def ref(self, key: str) -> str:
        """The reference of `key` in this store (whether or not it exists)."""
        return self._ref_of_name(self._name(key))

    async def get(self, ref: str) -> bytes:
        """Read the object behind an `s3://` reference inside the bucket and prefix."""
        name = self._name_of_ref(ref)
        return await asyncio.to_thread(self._get, name, ref)

    async def put(self, key: str, data: bytes, *, content_type: str) -> str:
        """Write `data` to `<prefix><key>` and return its `s3://` reference."""
        name = self._name(key)
        ref = self._ref_of_name(name)
        await asyncio.to_thread(self._put, name, ref, data, content_type)
        return ref

    def close(self) -> None:
        """Close the client's connection pool."""
        self._client.close()

    def _get(self, name: str, ref: str) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = self._client.get_object(Bucket=self._bucket, Key=name)
            body = response["Body"]
            try:
                # botocore checks the length read against Content-Length.
                data = body.read()
            finally:
                body.close()
        except ClientError as exc:
            raise _client_error(exc, ref, "not readable") from None
        except BotoCoreError as exc:
            raise BlobError(f"blob store unreachable: {ref} ({type(exc).__name__})") from None
        if not isinstance(data, bytes):  # pragma: no cover - botocore returns bytes
            raise BlobError(f"blob not readable: {ref} (unexpected body)")
        return data

    def _put(self, name: str, ref: str, data: bytes, content_type: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.put_object(
                Bucket=self._bucket,
                Key=name,
                Body=data,
                ContentType=content_type,
                **self._encryption,
            )
        except ClientError as exc:
            raise _client_error(exc, ref, "not written") from None
        except BotoCoreError as exc:
            raise BlobError(f"blob store unreachable: {ref} ({type(exc).__name__})") from None

    def _name(self, key: str) -> str:
        if not _is_clean_key(key):
            raise BlobRefused(f"blob key leaves the store: {key}")
        name = self._prefix + key
        if len(name.encode()) > _MAX_KEY_BYTES:
            raise BlobRefused(f"blob key too long: {key[:64]}...")
        return name

    def _ref_of_name(self, name: str) -> str:
        return f"s3://{self._bucket}/{quote(name, safe='/')}"

    def _name_of_ref(self, ref: str) -> str:
        parts = urlsplit(ref)
        if parts.scheme != "s3":
            raise BlobRefused(f"S3 store cannot read {parts.scheme}:// references")
        # A query or fragment would be dropped by the lookup: refuse rather than guess.
        if parts.netloc != self._bucket or parts.query or parts.fragment:
            raise BlobRefused(f"blob outside the store: {ref}")
        name = unquote(parts.path.removeprefix("/"))
        if not parts.path.startswith("/") or not _is_clean_key(name):
            raise BlobRefused(f"blob outside the store: {ref}")
        if not name.startswith(self._prefix):
            raise BlobRefused(f"blob outside the store: {ref}")
        return name


def _is_clean_key(key: str) -> bool:
    """A relative key without `.`, `..` or empty segments, control characters or `\\`.

    S3 keys are plain strings, but proxies and S3-compatible servers may normalise
    `..` in a URL path, so a key that only looks like a path is refused outright.
    """
    if not key or any(ord(c) < 32 or c in "\x7f\\" for c in key):
        return False
    return all(segment not in ("", ".", "..") for segment in key.split("/"))


def _client_error(exc: Any, ref: str, verb: str) -> BlobError:
    """The `BlobError` for a botocore `ClientError`: the reference and S3's code only."""
    response = getattr(exc, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if not _ERROR_CODE.fullmatch(code):
        code = f"HTTP {status}" if status else "unknown error"
    if code in _NOT_FOUND:
        return BlobError(f"blob not found: {ref}")
    if code == "NoSuchBucket":
        return BlobError(f"blob {verb}: {ref} (the bucket does not exist)")
    if code in _DENIED:
        return BlobError(f"blob {verb}: {ref} (access denied to the worker's credentials)")
    if code in _CREDENTIALS:
        return BlobError(f"blob {verb}: {ref} (credentials refused: {code})")
    return BlobError(f"blob {verb}: {ref} ({code})")


def _make_client(config: S3Config) -> Any:
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(
        aws_access_key_id=(
            config.access_key_id.get_secret_value() if config.access_key_id else None
        ),
        aws_secret_access_key=(
            config.secret_access_key.get_secret_value() if config.secret_access_key else None
        ),
        region_name=config.region,
    )
    return session.client(
        "s3",
        endpoint_url=config.endpoint_url,
        config=Config(
            connect_timeout=config.connect_timeout,
            read_timeout=config.read_timeout,
            retries={"max_attempts": config.max_attempts, "mode": "standard"},
            max_pool_connections=config.max_pool_connections,
            # S3-compatible servers are reached by host name, not bucket subdomains.
            s3={"addressing_style": "path"} if config.endpoint_url else {},
            user_agent_extra="signflow",
        ),
    )
