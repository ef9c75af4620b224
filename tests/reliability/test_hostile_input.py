"""Scenario 5: hostile input at the gateway.

(a) schemathesis, from the gateway's own OpenAPI document, sends schema-valid and
    schema-violating requests to every operation of the live app (real uvicorn);
(b) forged redirect `msg` values: real redirects encrypted with the partner key,
    their 16-byte ECB blocks swapped, dropped, repeated and spliced across two
    messages, plus genuine msgs for another document or an e-mail that is no signer.

Never a 5xx; no lifecycle starts except for a loan event the gateway accepted (2xx).
Schemathesis signals nothing (the standing lifecycles' histories do not grow). A
forged `msg` that decrypts to a well-formed redirect for a real signer of a real
document cannot be told from a real one at the gateway without calling Digisign in
the browser's request; it reaches the lifecycle as a claim, which asks Digisign and
counts nothing (no signer moves on), and the real redirects still complete it.
(c) hypothesis on the cipher, redirect parser and event schema lives in tests/unit
    and tests/gateway/test_fuzz.py already.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest
import pytest_asyncio
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from digisign.cipher import RedirectCipher
from digisign.errors import RedirectError
from tests.gateway.support import activation_msg, emails, sign_msg, signals, status, tag
from tests.reliability.hostile_support import (
    AES_KEY,
    EVENT_TOKEN,
    Stack,
    authed,
    deliver,
    open_stack,
    redirects_for,
    start_waiting,
    tally,
)
from tests.reliability.summary import Row, record
from workflows import names

pytestmark = pytest.mark.asyncio(loop_scope="session")

SCHEMATHESIS_EXAMPLES = 300


@pytest_asyncio.fixture(loop_scope="session")
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    async with open_stack(tmp_path) as running:
        yield running


async def _standing(stack: Stack) -> tuple[list[dict[str, Any]], dict[str, int]]:
    async with authed(stack.base_url) as http:
        events = await start_waiting(stack, http, 2, 2)
    return events, await _lengths(stack, events)


async def _lengths(stack: Stack, events: list[dict[str, Any]]) -> dict[str, int]:
    """Signals each standing lifecycle's history holds (its own progress does not count)."""
    return {e["document_id"]: await signals(stack.client, e["document_id"]) for e in events}


async def _workflow_ids(stack: Stack) -> set[str]:
    return {w.id async for w in stack.client.list_workflows()}


def _run_schemathesis(base_url: str) -> list[tuple[str, str, int, Any]]:
    """Every case schemathesis made, answered: (method, path, status, json or None)."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    strategy = st.one_of(
        schema.as_strategy(GenerationMode.POSITIVE), schema.as_strategy(GenerationMode.NEGATIVE)
    )
    seen: list[tuple[str, str, int, Any]] = []

    @settings(
        max_examples=SCHEMATHESIS_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case: Any) -> None:
        headers = {"Authorization": f"Bearer {EVENT_TOKEN}"}
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        try:
            body = response.json()
        except ValueError:
            body = None
        seen.append((case.method, case.path, response.status_code, body))
        assert response.status_code < 500, (case.method, case.path, response.text[:300])

    check()
    return seen


async def test_schemathesis_finds_no_5xx_and_starts_or_signals_nothing(stack: Stack) -> None:
    began = time.monotonic()
    standing, before = await _standing(stack)
    ids_before = await _workflow_ids(stack)

    seen = await asyncio.to_thread(_run_schemathesis, stack.base_url)

    accepted = {
        body["workflow_id"]
        for method, path, code, body in seen
        if path == "/v1/loan-events" and 200 <= code < 300 and isinstance(body, dict)
    }
    started = await _workflow_ids(stack) - ids_before
    unexplained = started - accepted
    after = await _lengths(stack, standing)
    codes = Counter(code for _, _, code, _ in seen)
    server_errors = sum(n for code, n in codes.items() if code >= 500)
    changed = sum(1 for d in before if before[d] != after[d])
    row = record(
        Row(
            "hostile input: schemathesis",
            lifecycles=len(seen),
            completed=len(seen) - server_errors,
            wrong_outcome=server_errors + len(unexplained) + changed,
        )
    )
    print(
        f"schemathesis: {len(seen)} requests over"
        f" {len({(m, p) for m, p, _, _ in seen})} operations, answers {dict(codes)},"
        f" {len(accepted)} accepted loan events, {time.monotonic() - began:.1f}s"
    )
    assert len({p for _, p, _, _ in seen}) >= 5, "schemathesis did not reach the operations"
    assert server_errors == 0, codes
    assert not unexplained, "bad input started a lifecycle"
    assert before == after, "schemathesis input signalled a standing lifecycle"
    assert row.bad == 0


def _blocks(msg: str) -> list[bytes]:
    raw = base64.b64decode(unquote(msg).replace("\n", ""))
    return [raw[i : i + 16] for i in range(0, len(raw), 16)]


def _msg(blocks: list[bytes]) -> str:
    return quote(base64.encodebytes(b"".join(blocks)).decode().rstrip("\n"), safe="")


def _forgeries(standing: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(redirect kind, msg): ECB block games on real msgs, and genuine msgs for others."""
    doc = standing[0]["document_id"]
    people = emails(standing[0])
    stranger = f"stranger.{tag()}@example.com"
    # Real redirects that must not reach the standing lifecycles as they are.
    originals = [
        sign_msg(f"doc-{tag()}", people[0]),  # a signer, but another document
        sign_msg(doc, stranger),  # the document, but not a signer
        activation_msg(stranger, nik=standing[0]["signers"][0]["nik"]),
        sign_msg(doc, people[1], rejected=True, result="05"),  # not a success
    ]
    out: list[tuple[str, str]] = [("sign", originals[0]), ("sign", originals[1])]
    out += [("activation", originals[2]), ("sign", originals[3])]
    sources = [_blocks(m) for m in originals]
    for a in sources:
        n = len(a)
        for i in range(n):
            for j in range(i + 1, n):
                swapped = a[:]
                swapped[i], swapped[j] = swapped[j], swapped[i]
                out.append(("sign", _msg(swapped)))
            out.append(("sign", _msg(a[:i] + a[i + 1 :])))  # a block dropped
            out.append(("activation", _msg(a[: i + 1] + a[i:])))  # a block repeated
        out.append(("sign", _msg(a[::-1])))
    for x, a in enumerate(sources):
        for y, b in enumerate(sources):
            if x == y:
                continue
            for i in range(1, len(a)):
                for j in range(1, len(b)):
                    out.append(("sign" if (i + j) % 2 else "activation", _msg(a[:i] + b[j:])))
    return out


async def _progress(stack: Stack, events: list[dict[str, Any]]) -> dict[str, Any]:
    """What each standing lifecycle has counted: its stage and each signer's."""
    out = {}
    for event in events:
        current = await status(stack.client, event["document_id"])
        out[event["document_id"]] = (
            current.stage,
            tuple((s.stage, s.signed) for s in current.signers),
        )
    return out


async def test_forged_ecb_msgs_count_nothing_and_real_redirects_still_complete(
    stack: Stack,
) -> None:
    began = time.monotonic()
    standing, before_signals = await _standing(stack)
    before = await _progress(stack, standing)
    forgeries = _forgeries(standing)
    cipher = RedirectCipher(AES_KEY)
    decryptable = 0
    for _, msg in forgeries:
        try:
            json.loads(cipher.decrypt(msg))
            decryptable += 1
        except (RedirectError, ValueError):
            pass

    codes: Counter[int] = Counter()
    gate = asyncio.Semaphore(64)
    async with authed(stack.base_url) as http:

        async def one(kind: str, msg: str) -> None:
            async with gate:
                response = await http.get(f"/digisign/{kind}?msg={msg}")
                codes[response.status_code] += 1

        await asyncio.gather(*(one(k, m) for k, m in forgeries))
    claims = await _lengths(stack, standing)
    forged_signed = {
        d: await signals(stack.client, d, names.SIGNAL_SIGNED) for d in before_signals
    }  # the standing signers signed nothing yet: every one of these is forged
    # Let every claim be put to Digisign before judging: confirmations are activities.
    await asyncio.sleep(2)
    after = await _progress(stack, standing)
    server_errors = sum(n for code, n in codes.items() if code >= 500)
    unexpected = sum(n for code, n in codes.items() if code not in (200, 400, 404))
    changed = sum(1 for d in before if before[d] != after[d])

    # The signers now really activate and sign: every standing lifecycle completes.
    await deliver(
        stack.base_url,
        [r for e in standing for r in redirects_for(e)],
        digisign=stack.digisign,
    )
    result = await tally(stack, standing, forged=forged_signed)
    row = record(
        Row(
            "hostile input: forged msg",
            lifecycles=len(forgeries),
            completed=len(forgeries) - server_errors - unexpected,
            wrong_outcome=server_errors + unexpected + changed + result.wrong_outcome,
            stuck=result.stuck,
            double_charges=result.double_charges,
        )
    )
    forged_claims = sum(claims[d] - before_signals[d] for d in claims)
    print(
        f"forged msgs: {len(forgeries)} ({decryptable} still decrypt to JSON),"
        f" answers {dict(codes)}, {forged_claims} reached a lifecycle as a claim and"
        f" were refused by Digisign, {time.monotonic() - began:.1f}s"
    )
    assert server_errors == 0, codes
    assert before == after, "a forged msg moved a standing lifecycle on"
    assert result.completed == len(standing), result.problems
    assert row.bad == 0
