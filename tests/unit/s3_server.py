"""A real S3-compatible HTTP server for the blob store tests: moto's, on a free port.

The server checks signatures and IAM policies like AWS: the worker's user may only
get and put objects under `signflow/` of its bucket, as a production policy would
say; an admin user plants and inspects objects the worker must never reach; a user
without any policy is denied everything.

moto keeps its state per process: `moto_s3()` resets it on the way out, so each
test module starts from an empty server.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import httpx
from botocore.config import Config
from moto.server import ThreadedMotoServer
from pydantic import SecretStr

from activities.blobs_s3 import S3Config
from tests.support.servers import free_port

BUCKET = "signflow-blobs"
OTHER_BUCKET = "los-kyc"
REGION = "ap-southeast-3"
PREFIX = "signflow/"


@dataclass(frozen=True)
class Keys:
    """An IAM user's access key."""

    access_key_id: str
    secret_access_key: str


@dataclass(frozen=True)
class MotoS3:
    """The running server, its users, and an admin client for planting and inspecting."""

    endpoint: str
    worker: Keys
    admin_keys: Keys
    denied: Keys
    admin: Any

    def config(self, keys: Keys | None = None, **changes: Any) -> S3Config:
        """The store's configuration on this server, as the worker by default."""
        keys = keys or self.worker
        fields: dict[str, Any] = {
            "bucket": BUCKET,
            "prefix": PREFIX,
            "endpoint_url": self.endpoint,
            "region": REGION,
            "access_key_id": SecretStr(keys.access_key_id),
            "secret_access_key": SecretStr(keys.secret_access_key),
        }
        fields.update(changes)
        return S3Config(**fields)

    def object_keys(self, bucket: str = BUCKET) -> list[str]:
        """Every object key in `bucket`."""
        listed = self.admin.list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in listed.get("Contents", []))


def _client(service: str, endpoint: str, keys: Keys) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=keys.access_key_id,
        aws_secret_access_key=keys.secret_access_key,
        config=Config(s3={"addressing_style": "path"}),
    )


def _user(iam: Any, name: str, statements: list[dict[str, Any]]) -> Keys:
    iam.create_user(UserName=name)
    if statements:
        document = {"Version": "2012-10-17", "Statement": statements}
        iam.put_user_policy(UserName=name, PolicyName=name, PolicyDocument=json.dumps(document))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return Keys(key["AccessKeyId"], key["SecretAccessKey"])


@contextlib.contextmanager
def moto_s3() -> Iterator[MotoS3]:
    """Start moto's server with the buckets and users, authentication on."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    setup = Keys("setup", "setup-secret")  # before authentication is switched on
    try:
        s3 = _client("s3", endpoint, setup)
        iam = _client("iam", endpoint, setup)
        for bucket in (BUCKET, OTHER_BUCKET):
            s3.create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
            )
        worker = _user(
            iam,
            "signflow-worker",
            [
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:PutObject"],
                    "Resource": f"arn:aws:s3:::{BUCKET}/{PREFIX}*",
                }
            ],
        )
        admin_keys = _user(iam, "admin", [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}])
        denied = _user(iam, "nobody", [])
        s3.close()
        iam.close()
        # From here on every request must be signed by a known user and allowed.
        httpx.post(f"{endpoint}/moto-api/reset-auth", content=b"0").raise_for_status()
        admin = _client("s3", endpoint, admin_keys)
        try:
            yield MotoS3(endpoint, worker, admin_keys, denied, admin)
        finally:
            admin.close()
    finally:
        httpx.post(f"{endpoint}/moto-api/reset-auth", content=b"inf")
        httpx.post(f"{endpoint}/moto-api/reset")
        server.stop()
