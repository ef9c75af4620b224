"""signflow's own metrics reach the Prometheus endpoint of the SDK runtime."""

from __future__ import annotations

import httpx
import pytest
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from digisign.client import DigisignClient, DigisignConfig
from digisign.errors import RetryLater
from digisign.requests import ActivationLinkRequest
from tests.support.servers import free_port
from workers.runtime import digisign_metrics


async def test_digisign_calls_are_counted_by_endpoint_and_result() -> None:
    address = f"127.0.0.1:{free_port()}"
    runtime = Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=address)))
    answer = {"JSONFile": {"result": "91", "notif": "system timeout"}}
    transport = httpx.MockTransport(lambda _request: httpx.Response(200, json=answer))
    async with httpx.AsyncClient(transport=transport) as http:
        client = DigisignClient(
            DigisignConfig(base_url="https://digisign.test", token="t", userid="a@b.co"),
            http=http,
            observer=digisign_metrics(runtime),
        )
        for _ in range(2):
            with pytest.raises(RetryLater):
                await client.activation_link(ActivationLinkRequest(email_user="x@example.com"))
    async with httpx.AsyncClient() as scraper:
        text = (await scraper.get(f"http://{address}/metrics")).text
    line = next(row for row in text.splitlines() if row.startswith("signflow_digisign_calls"))
    assert 'endpoint="ACTIVATION_LINK"' in line
    assert 'result="91"' in line
    assert line.rsplit(" ", 1)[1] == "2"


def test_without_a_runtime_the_observer_does_nothing() -> None:
    from digisign.endpoints import Endpoint

    digisign_metrics(None)(Endpoint.REGISTER, "00", 0.1)
