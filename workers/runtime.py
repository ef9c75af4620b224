"""The composition root (cosmicpython's bootstrap): builds clients, converter and worker.

Nothing else in signflow constructs a Temporal client, a Digisign client or a blob
store from settings; they are built here and handed down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import httpx
from temporalio.client import Client, TLSConfig
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Worker

from activities.blobs import BlobStore, FilesystemBlobStore
from activities.digisign import DigisignActivities
from activities.los import LosActivities
from digisign.client import DigisignClient, DigisignConfig
from digisign.endpoints import Endpoint
from workers.codec import EncryptionCodec, data_converter
from workers.health import WorkerHealth, serve_health
from workers.settings import Settings, SettingsError, env_name
from workers.telemetry import tracing
from workflows.signing import SigningWorkflow

logger = logging.getLogger("signflow.worker")


def codec(settings: Settings) -> EncryptionCodec:
    """The payload codec: AES-GCM with the current key, older keys for reading."""
    return EncryptionCodec(settings.encryption_key_bytes(), settings.encryption_key_id)


def runtime(settings: Settings) -> Runtime | None:
    """A Temporal runtime exporting Prometheus metrics, when a bind address is set."""
    if settings.metrics_bind_address is None:
        return None
    return Runtime(
        telemetry=TelemetryConfig(
            metrics=PrometheusConfig(bind_address=settings.metrics_bind_address)
        )
    )


async def connect(settings: Settings, *, temporal_runtime: Runtime | None = None) -> Client:
    """A Temporal client with the pydantic converter and payload encryption."""
    tls: TLSConfig | bool = False
    if settings.temporal_tls:
        tls = TLSConfig(
            client_cert=settings.temporal_tls_cert.read_bytes()
            if settings.temporal_tls_cert
            else None,
            client_private_key=(
                settings.temporal_tls_key.read_bytes() if settings.temporal_tls_key else None
            ),
        )
    api_key = settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None
    interceptor = tracing("signflow", settings.otel_endpoint)
    interceptors: list[Any] = [interceptor] if interceptor is not None else []
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(codec(settings)),
        tls=tls if api_key is None else True,
        api_key=api_key,
        interceptors=interceptors,
        runtime=temporal_runtime,
    )


def digisign_config(settings: Settings) -> DigisignConfig:
    """Where and as whom the worker calls Digisign."""
    return DigisignConfig(
        base_url=settings.digisign_base_url,
        token=settings.digisign_token.get_secret_value(),
        userid=settings.digisign_userid,
    )


def digisign_metrics(temporal_runtime: Runtime | None) -> Callable[[Endpoint, str, float], None]:
    """An observer counting Digisign calls by endpoint and result code."""
    if temporal_runtime is None:
        return lambda _endpoint, _label, _seconds: None
    meter = temporal_runtime.metric_meter
    calls = meter.create_counter("signflow_digisign_calls", "Digisign calls by endpoint and result")
    latency = meter.create_histogram_timedelta(
        "signflow_digisign_latency", "Digisign call latency", unit="ms"
    )

    def observe(endpoint: Endpoint, label: str, seconds: float) -> None:
        attributes = {"endpoint": endpoint.name, "result": label}
        calls.add(1, attributes)
        latency.record(timedelta(seconds=seconds), attributes)

    return observe


def blob_store(settings: Settings) -> BlobStore:
    """The blob store chosen by `SIGNFLOW_BLOB_BACKEND`: files under a root, or S3.

    Raises:
        SettingsError: the S3 backend is chosen but boto3 is not installed.
    """
    if settings.blob_backend == "filesystem":
        return FilesystemBlobStore(settings.blob_root)
    from activities.blobs_s3 import S3BlobStore, S3Config

    if settings.s3_bucket is None:  # load_settings refuses this; a store needs a bucket
        raise SettingsError(f"{env_name('s3_bucket')}: required for the s3 blob backend")
    config = S3Config(
        bucket=settings.s3_bucket,
        prefix=settings.s3_prefix,
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=settings.s3_secret_access_key,
        sse=settings.s3_sse,
        max_pool_connections=max(10, settings.max_concurrent_activities),
    )
    try:
        return S3BlobStore(config)
    except ImportError:
        raise SettingsError(
            f"{env_name('blob_backend')}=s3 needs boto3: pip install 'signflow[s3]'"
        ) from None


def build_worker(
    client: Client,
    settings: Settings,
    *,
    http: httpx.AsyncClient,
    temporal_runtime: Runtime | None = None,
    blobs: BlobStore | None = None,
) -> Worker:
    """The signing worker: the workflow and every activity, with their dependencies.

    `blobs` defaults to the store chosen by the settings (`blob_store`).
    """
    digisign = DigisignClient(
        digisign_config(settings), http=http, observer=digisign_metrics(temporal_runtime)
    )
    calls = DigisignActivities(digisign, blobs if blobs is not None else blob_store(settings))
    secret = settings.los_hmac_secret
    los = LosActivities(http, secret.get_secret_value().encode() if secret else None)
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[SigningWorkflow],
        activities=[
            calls.register,
            calls.activation_link,
            calls.change_contact,
            calls.send_document,
            calls.sign_link,
            calls.download_signed,
            los.notify,
        ],
        max_concurrent_activities=settings.max_concurrent_activities,
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
        graceful_shutdown_timeout=timedelta(seconds=settings.graceful_shutdown_seconds),
    )


async def run_worker(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    """Run the worker until SIGTERM or SIGINT (or `stop` is set), then shut down gracefully.

    On shutdown the worker stops polling and gives in-flight activities
    `graceful_shutdown_seconds` to finish; what does not finish is retried by another
    worker (activities are idempotent or reconcile, see activities/digisign.py).

    With `health_bind_address` set, the probes answer from the start: alive at once,
    ready once the worker polls, not ready as soon as the shutdown begins.
    """
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
    blobs = blob_store(settings)  # a configuration error stops the worker before it connects
    health = WorkerHealth()
    async with _health_endpoints(settings, health):
        temporal_runtime = runtime(settings)
        client = await connect(settings, temporal_runtime=temporal_runtime)
        async with httpx.AsyncClient() as http:
            worker = build_worker(
                client, settings, http=http, temporal_runtime=temporal_runtime, blobs=blobs
            )
            async with worker:
                # `is_running` turns true once the server accepted the worker (namespace
                # checked) and the pollers started.
                health.running(lambda: worker.is_running)
                logger.info("worker running", extra={"task_queue": settings.task_queue})
                await stop.wait()
                health.stopping()
                logger.info("worker stopping: finishing in-flight activities")
    logger.info("worker stopped")


@contextlib.asynccontextmanager
async def _health_endpoints(settings: Settings, health: WorkerHealth) -> AsyncIterator[None]:
    if settings.health_bind_address is None:
        yield
        return
    async with serve_health(settings.health_bind_address, health):
        yield
