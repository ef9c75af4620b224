"""Tracing: OpenTelemetry spans for workflows and activities, exported over OTLP/HTTP.

Only when `SIGNFLOW_OTEL_ENDPOINT` is set; otherwise nothing is installed and
nothing is exported. Temporal's `TracingInterceptor` creates the spans (start,
signal, update, run workflow, run activity) and carries the context across the
worker and the gateway.
"""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from temporalio.contrib.opentelemetry import TracingInterceptor


def tracing(
    service: str, endpoint: str | None, *, processor: SpanProcessor | None = None
) -> TracingInterceptor | None:
    """Install a tracer provider and return the interceptor, or None when not configured.

    Args:
        service: the `service.name` of this process (`signflow-worker`, ...).
        endpoint: the OTLP/HTTP traces endpoint, e.g. `http://collector:4318/v1/traces`.
        processor: a span processor to use instead of OTLP export (tests).
    """
    if endpoint is None and processor is None:
        return None
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(
        processor or BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint))
    )
    trace.set_tracer_provider(provider)
    return TracingInterceptor(provider.get_tracer("signflow"))
