"""The demo's LOS: signflow's notifications arrive, over real HTTP, in the document's inbox."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from activities.los import LosActivities
from activities.models import NotifyInput
from workers.demo_los import DemoLos


async def test_a_notification_from_the_los_activity_reaches_the_documents_inbox() -> None:
    async with DemoLos() as los, httpx.AsyncClient() as http:
        note = NotifyInput(
            url=los.callback_url,
            event="sign_link",
            loan_id="LN-1",
            document_id="doc-1",
            signer_index=1,
            email="b@example.com",
            link="https://sandbox.test/signingpage.html?sgn=abc",
        )
        await LosActivities(http).notify(note)  # the worker's own activity code
        received = await asyncio.wait_for(los.inbox("doc-1").get(), timeout=5)
    assert received["event"] == "sign_link"
    assert received["link"] == note.link
    assert received["signer_index"] == 1
    assert los.inbox("doc-2").empty()


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/los", b"not json", 400),
        ("POST", "/los", b'{"event": "sign_link"}', 400),  # no document id
        ("GET", "/los", b"", 404),
        ("POST", "/elsewhere", b"{}", 404),
    ],
)
async def test_what_is_not_a_notification_is_refused_and_kept_nowhere(
    method: str, path: str, body: bytes, status: int
) -> None:
    async with DemoLos() as los, httpx.AsyncClient() as http:
        base = los.callback_url.removesuffix("/los")
        response = await http.request(method, f"{base}{path}", content=body)
        assert response.status_code == status
        assert not los._inboxes or all(q.empty() for q in los._inboxes.values())
