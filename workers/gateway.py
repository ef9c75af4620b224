"""Running the gateway: its configuration from settings, and the uvicorn server."""

from __future__ import annotations

from datetime import timedelta

import uvicorn

from gateway.app import create_app
from gateway.config import GatewayConfig
from workers.runtime import codec, connect
from workers.settings import Settings


def gateway_config(settings: Settings) -> GatewayConfig:
    """The gateway's configuration, from the settings."""
    return GatewayConfig(
        public_url=settings.gateway_public_url,
        task_queue=settings.task_queue,
        temporal_ui_url=settings.temporal_ui_url,
        namespace=settings.temporal_namespace,
        event_auth=settings.event_auth,
        event_token=settings.event_token,
        event_hmac_secret=settings.event_hmac_secret,
        digisign_aes_key=settings.digisign_aes_key,
        landing_url=settings.landing_url,
        retry_later_delay=timedelta(seconds=settings.retry_later_delay_seconds),
        activation_path=settings.activation_path,
        sign_path=settings.sign_path,
        codec_allowed_origins=tuple(settings.codec_allowed_origins),
        codec_token=settings.codec_token,
    )


async def serve_gateway(settings: Settings) -> None:
    """Serve the gateway on uvicorn until SIGTERM/SIGINT (uvicorn handles both)."""
    client = await connect(settings)
    app = create_app(gateway_config(settings), client, codec=codec(settings))
    config = uvicorn.Config(
        app,
        host=settings.gateway_host,
        port=settings.gateway_port,
        log_config=None,  # our logging (workers/logging.py) is already in place
        proxy_headers=True,
        # The access log prints query strings: a redirect's `msg` must not reach logs.
        access_log=False,
    )
    await uvicorn.Server(config).serve()
