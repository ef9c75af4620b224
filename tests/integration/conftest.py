"""Fixtures for integration tests: the Digisign sandbox on a real uvicorn server.

Everything meets over HTTP, as it would in production: the `digisign` client
calls the sandbox's API, the signer robot opens its pages, and the sandbox
redirects to a receiver standing in for the partner's gateway.

Fixtures (function-scoped unless said; a sandbox in memory starts in milliseconds):

``receiver``          a `harness.Receiver`: the test partner's ``activation_url`` and
                      ``sign_url`` (on one server shared by the session); records each
                      ``msg`` and whether the browser or the sandbox's server sent it
                      (``received()``, ``wait_for(count, kind=...)``).
``start_sandbox``     a factory: ``start_sandbox(**options) -> RunningSandbox`` runs a
                      sandbox whose test partner redirects to ``receiver``; options are
                      those of `harness.start_sandbox` (``state=`` a file,
                      ``server_redirects=False``, ``balances={...}``,
                      ``document_id_reuse="replace"``, ``early_sign_links="page"``,
                      ``other_partners=(...)``, or a whole ``config=``). Every sandbox
                      started is stopped after the test.
``sandbox``           ``start_sandbox()``: the default sandbox, in memory.
``http``              an `httpx.AsyncClient` (a browser profile, and the admin's client).
``digisign``          a `DigisignClient` for the test partner of ``sandbox``.
``robot``             a `SignerRobot` that activates, signs and rejects in the pages.
``admin``             a `harness.Admin` for ``sandbox``'s ``/_sandbox/`` API.
``people``            a factory of unique, valid signers (`harness.Person`).
``shared_client``     a `DigisignClient` of the module's own ``shared`` sandbox (a module
                      that uses it defines a module-scoped ``shared`` fixture).
``sample_pdf``        a two-page loan agreement (`sandbox.agreement.sample_agreement`); session.

A browser test reuses them as they are: ``sandbox.base_url`` is where the links
point, ``receiver.wait_for(...)`` what the browser's redirect delivered.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from digisign.client import DigisignClient
from sandbox.agreement import sample_agreement
from sandbox.robot import SignerRobot
from tests.integration import harness
from tests.integration.harness import (
    Admin,
    People,
    Receiver,
    RedirectReceiver,
    RunningSandbox,
)

StartSandbox = Callable[..., RunningSandbox]


@pytest.fixture(scope="session")
def receiver_server() -> Iterator[RedirectReceiver]:
    """The server behind every test's ``receiver``."""
    with harness.run_receiver() as running:
        yield running


@pytest.fixture
def receiver(receiver_server: RedirectReceiver) -> Receiver:
    """This test's partner redirect endpoints, recording every msg."""
    return receiver_server.receiver()


@pytest.fixture
def start_sandbox(receiver: Receiver) -> Iterator[StartSandbox]:
    """A factory of sandboxes redirecting to ``receiver``, all stopped after the test."""
    with contextlib.ExitStack() as stack:

        def start(**options: Any) -> RunningSandbox:
            return stack.enter_context(harness.start_sandbox(receiver, **options))

        yield start


@pytest.fixture
def sandbox(start_sandbox: StartSandbox) -> RunningSandbox:
    """The default sandbox: one test partner, state in memory, redirects sent twice."""
    return start_sandbox()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for pages and the admin API."""
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


@pytest.fixture
def digisign(sandbox: RunningSandbox, http: httpx.AsyncClient) -> DigisignClient:
    """The `digisign` client, as the test partner, pointed at ``sandbox``."""
    return DigisignClient(sandbox.client_config(), http=http)


@pytest.fixture
async def shared_client(shared: RunningSandbox) -> AsyncIterator[DigisignClient]:
    """A client of the test partner of the requesting module's ``shared`` sandbox."""
    async with shared.client() as client:
        yield client


@pytest.fixture
def robot(http: httpx.AsyncClient) -> SignerRobot:
    """A signer robot sharing ``http``."""
    return SignerRobot(http)


@pytest.fixture
def admin(sandbox: RunningSandbox, http: httpx.AsyncClient) -> Admin:
    """The admin API of ``sandbox``."""
    return Admin(http, sandbox.base_url)


@pytest.fixture
def people() -> People:
    """New, unique signers on every call."""
    return People()


@pytest.fixture(scope="session")
def sample_pdf() -> bytes:
    """A readable two-page loan agreement with signature areas on its last page."""
    return sample_agreement(
        title="Perjanjian Kredit", loan_id="LN-0001", parties=["Debitur", "Penjamin", "Kreditur"]
    )
