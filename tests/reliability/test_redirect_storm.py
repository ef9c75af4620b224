"""Scenario 4: a redirect storm.

Hundreds of activation and sign redirects hit the gateway (a real uvicorn server, a
real dev server, lifecycles waiting for exactly these redirects) at once; Digisign
delivers every one twice and about a third of the signers' deliveries arrive out
of order (sign before activation, duplicates far apart). Every lifecycle must end
COMPLETED with each signer signed once, no Digisign call charged twice, and the
gateway must never answer a 5xx.
"""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.reliability.hostile_support import (
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

LIFECYCLES = 50
SIGNERS = 3  # 150 signers: 300 redirects, 600 deliveries


@pytest_asyncio.fixture(loop_scope="session")
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    async with open_stack(tmp_path) as running:
        yield running


async def test_a_redirect_storm_counts_every_signer_once(stack: Stack) -> None:
    began = time.monotonic()
    async with authed(stack.base_url) as http:
        events = await start_waiting(stack, http, LIFECYCLES, SIGNERS)
    redirects = [r for e in events for r in redirects_for(e)]
    storm = storm_order(redirects, random.Random(7))

    codes = await deliver(stack.base_url, storm, digisign=stack.digisign)
    result = await tally(stack, events)

    server_errors = sum(n for code, n in codes.items() if code >= 500)
    row = record(
        Row(
            "redirect storm",
            lifecycles=LIFECYCLES,
            completed=result.completed,
            wrong_outcome=result.wrong_outcome + server_errors,
            stuck=result.stuck,
            double_charges=result.double_charges,
        )
    )
    print(
        f"redirect storm: {len(storm)} deliveries of {len(redirects) // 2} redirects,"
        f" answers {dict(codes)}, {time.monotonic() - began:.1f}s"
    )
    assert server_errors == 0, codes
    assert set(codes) <= {200, 404}, codes
    assert row.bad == 0, (row, result.problems[:10])
    assert row.completed == LIFECYCLES
