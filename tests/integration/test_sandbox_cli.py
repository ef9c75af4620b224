"""``python -m sandbox``: configuration from file and flags, and the real process."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from digisign import errors as e
from digisign.client import DigisignClient, DigisignConfig
from digisign.endpoints import Endpoint
from sandbox.app import fault_plan
from sandbox.cli import DEFAULT_STATE, build_config, parser
from sandbox.config import (
    DEFAULT_TOKEN,
    DEFAULT_USERID,
    DocumentIdReuse,
    IdentityCheck,
)
from sandbox.faults import Fault
from tests.integration.harness import People
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]

TOML = """
seed = 7
server_redirects = false

[[partners]]
userid = "admin@lender.test"
token = "toml-token"
sign_redirect_url = "http://127.0.0.1:8000/digisign/sign"
document_id_reuse = "replace"
[partners.balances]
document = 5

[identity]
"3171000000000001" = "face"

[faults]
default = { latency_ms = 5 }
register = { retry_later = 1.0 }
"""


def test_a_toml_file_configures_partners_identity_and_faults(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.toml"
    path.write_text(TOML)
    config = build_config(parser().parse_args(["--config", str(path), "--port", "9999"]))

    assert (config.port, config.seed, config.server_redirects) == (9999, 7, False)
    assert config.state == DEFAULT_STATE
    [partner] = config.partners
    assert (partner.userid, partner.token) == ("admin@lender.test", "toml-token")
    assert partner.document_id_reuse is DocumentIdReuse.REPLACE
    assert partner.balances["document"] == 5
    assert partner.balances["signature"] > 1000
    assert config.identity_failures == {"3171000000000001": IdentityCheck.FACE}
    plan = fault_plan(config, ["sign_link:drop_before=1"])
    assert plan.settings(Endpoint.REGISTER).retry_later == 1.0
    assert plan.settings(Endpoint.DOWNLOAD).latency_ms == 5
    assert plan.decide(Endpoint.SIGN_LINK).fault is Fault.DROP_BEFORE


def test_flags_alone_give_the_default_partner_and_the_default_state() -> None:
    config = build_config(parser().parse_args(["--state", ":memory:", "--no-server-redirects"]))
    assert config.state == ":memory:"
    assert not config.server_redirects
    assert [(p.userid, p.token) for p in config.partners] == [(DEFAULT_USERID, DEFAULT_TOKEN)]
    assert build_config(parser().parse_args([])).state == DEFAULT_STATE


@pytest.fixture(params=["python -m sandbox", "signflow sandbox"])
def process(request: pytest.FixtureRequest) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """The sandbox's command (``python -m sandbox``, or ``signflow sandbox`` with the same
    flags) on a free port, in memory, with registrations answering 91."""
    port = free_port()
    launcher = (
        [sys.executable, "-m", "sandbox"]
        if request.param == "python -m sandbox"
        else [str(Path(sys.executable).with_name("signflow")), "sandbox"]
    )
    command = [
        *launcher,
        "--port",
        str(port),
        "--state",
        ":memory:",
        "--fault",
        "register:retry_later=1",
        "--log-level",
        "warning",
    ]
    started = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base_url}/_sandbox/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        yield base_url, started
    finally:
        started.terminate()
        started.wait(timeout=10)
        for stream in (started.stdout, started.stderr):
            if stream is not None:
                stream.close()


async def test_the_command_serves_digisign_with_faults_from_its_flags(
    process: tuple[str, subprocess.Popen[str]], people: People
) -> None:
    base_url, running = process
    config = DigisignConfig(base_url=base_url, token=DEFAULT_TOKEN, userid=DEFAULT_USERID)
    async with httpx.AsyncClient(timeout=10) as http:
        with pytest.raises(e.RetryLater):
            await DigisignClient(config, http=http).register(people().register_request())
    running.terminate()
    stdout, _ = running.communicate(timeout=10)
    assert f"Digisign sandbox on http://127.0.0.1:{base_url.rsplit(':', 1)[1]}" in stdout
    # Not a terminal: the credentials stay out of what may become a log file.
    assert DEFAULT_TOKEN not in stdout
    assert "token:   (not logged)" in stdout
