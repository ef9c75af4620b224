"""The loan-origination system (LOS) as `signflow dev` plays it.

signflow tells the LOS of every fresh link and of the end of each lifecycle: a JSON
`NotifyInput` (without its `url`) POSTed to the loan event's `los_callback_url`, with
`event` one of `activation_link`, `sign_link`, `completed`, `ended`. A real LOS
e-mails the link to the borrower; the demo's LOS puts it in the document's inbox,
where `workers.dev` hands it to the signer robot. Nothing polls the lifecycle.

    async with DemoLos() as los:
        event["los_callback_url"] = los.callback_url
        note = await los.inbox(document_id).get()   # {"event": "sign_link", "link": ...}

It listens on a free port of 127.0.0.1, in this process, and keeps no log of what it
receives (the notifications carry e-mails and live links).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections import defaultdict
from collections.abc import Awaitable, Callable, MutableMapping
from types import TracebackType
from typing import Any

import uvicorn

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

PATH = "/los"


class DemoLos:
    """An LOS callback endpoint whose notifications wait in one inbox per document."""

    def __init__(self) -> None:
        self._inboxes: defaultdict[str, asyncio.Queue[dict[str, Any]]] = defaultdict(asyncio.Queue)
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.callback_url = ""
        """The URL to give as `los_callback_url` (set once started)."""

    def inbox(self, document_id: str) -> asyncio.Queue[dict[str, Any]]:
        """The notifications about one document, in the order they arrived."""
        return self._inboxes[document_id]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI app: `POST /los` with a notification → 204."""
        if scope["type"] != "http":
            return
        if scope["method"] != "POST" or scope["path"] != PATH:
            await _respond(send, 404)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        try:
            note = json.loads(body)
            document_id = str(note["document_id"])
        except (ValueError, KeyError, TypeError):
            await _respond(send, 400)
            return
        self._inboxes[document_id].put_nowait(note)
        await _respond(send, 204)

    async def __aenter__(self) -> DemoLos:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            self, log_config=None, access_log=False, lifespan="off", log_level="warning"
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raises why it did not start
                raise RuntimeError("the demo LOS did not start")
            await asyncio.sleep(0.01)
        self.callback_url = f"http://127.0.0.1:{port}{PATH}"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def _respond(send: Send, status: int) -> None:
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": b""})
