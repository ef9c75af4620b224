"""Scenario 6: secrets and personal data stay out of logs, ids, search attributes and
Temporal's database.

Runs after scenarios 4 and 5 (same pytest run) and inspects every stack they left
(`hostile_support.STACKS`: its captured log text and its dev server's SQLite files),
plus a fresh stack on which it drives lifecycles to the end through the gateway's
redirects and sends forged msgs, then lists every workflow (ids and
typed_search_attributes). None may hold a NIK, phone number, e-mail address, the
event token, the partner's AES key or the payload key.
"""

from __future__ import annotations

import base64
import random
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.reliability.hostile_support import (
    AES_KEY,
    CODEC_KEY,
    EVENT_TOKEN,
    STACKS,
    Stack,
    authed,
    deliver,
    open_stack,
    redirects_for,
    start_waiting,
    storm_order,
    tally,
)
from tests.reliability.summary import Row, record

pytestmark = pytest.mark.asyncio(loop_scope="session")

KEYS = (AES_KEY, EVENT_TOKEN, base64.b64encode(CODEC_KEY).decode(), CODEC_KEY.hex())


@pytest_asyncio.fixture(loop_scope="session")
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    async with open_stack(tmp_path) as running:
        yield running


def _leaks(text: str, secrets: set[str]) -> set[str]:
    lowered = text.lower()
    return {s for s in secrets if s.lower() in lowered}


def _db_text(db_path: Path) -> str:
    data = b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))
    return data.decode("latin-1")


async def test_no_secret_or_personal_data_leaves_the_process(stack: Stack) -> None:
    began = time.monotonic()
    async with authed(stack.base_url) as http:
        events = await start_waiting(stack, http, 10, 2)
    redirects = [r for e in events for r in redirects_for(e)]
    codes = await deliver(
        stack.base_url, storm_order(redirects, random.Random(6)), digisign=stack.digisign
    )
    assert all(code < 500 for code in codes)
    assert (await tally(stack, events)).completed == len(events)

    # Ids and search attributes, while the server still runs.
    listed = [w async for w in stack.client.list_workflows()]
    visible = "\n".join(
        f"{w.id} {[(p.key.name, p.value) for p in w.typed_search_attributes]}" for w in listed
    )
    assert len(listed) >= len(events)
    id_leaks = _leaks(visible, stack.secrets | set(KEYS))

    findings: dict[str, set[str]] = {"ids and search attributes": id_leaks}
    inspected = 0
    for n, earlier in enumerate(STACKS):
        secrets = earlier.secrets | set(KEYS)
        findings[f"stack {n} logs"] = _leaks(earlier.log_text(), secrets)
        if earlier is not stack:
            findings[f"stack {n} database"] = _leaks(_db_text(earlier.db_path), secrets)
        inspected += len(earlier.secrets)
    row = record(
        Row(
            "secrets and PII",
            lifecycles=len(STACKS),
            completed=sum(1 for v in findings.values() if not v),
            wrong_outcome=sum(1 for v in findings.values() if v),
        )
    )
    print(
        f"secrets: {inspected} NIKs/phones/e-mails and {len(KEYS)} keys looked for in"
        f" {len(STACKS)} stacks' logs and databases, {len(listed)} workflows listed,"
        f" {time.monotonic() - began:.1f}s"
    )
    assert not {k: sorted(v)[:5] for k, v in findings.items() if v}
    assert row.bad == 0


async def test_the_database_of_this_run_holds_no_personal_data(stack: Stack) -> None:
    """The running stack's own database files (main file and WAL) hold no personal data."""
    async with authed(stack.base_url) as http:
        events = await start_waiting(stack, http, 3, 2)
    await deliver(
        stack.base_url, [r for e in events for r in redirects_for(e)], digisign=stack.digisign
    )
    assert (await tally(stack, events)).completed == len(events)
    text = _db_text(stack.db_path)
    assert len(text) > 0
    assert stack.documents[0] in text, "the database file is not the one the server wrote"
    assert not _leaks(text, stack.secrets | set(KEYS))
