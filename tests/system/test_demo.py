"""The README's demo, end to end, as separate real processes, under a fault profile.

`signflow dev` starts the Temporal dev server, the sandbox, the worker and the
gateway as their own processes and signs loans through the sandbox's web pages. Here
the sandbox answers a share of calls with `91` and 5xx; every lifecycle must still
complete. Then the logs and the Temporal database are searched for personal data and
secrets: there must be none.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from workers.settings import DEV_ENCRYPTION_KEY, SANDBOX_AES_KEY, SANDBOX_TOKEN

SECRETS = (SANDBOX_TOKEN, SANDBOX_AES_KEY, DEV_ENCRYPTION_KEY, "signflow-dev-token")
PII = (
    re.compile(rb"borrower[12]\.[0-9a-f]+@demo\.signflow\.test"),  # e-mails
    re.compile(rb"3273\d{12}"),  # NIKs
    re.compile(rb"0812\d{9}"),  # phones
    re.compile(rb"Siti Rahmawati|Budi Santoso"),  # names
)


def run_demo(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "workers", "dev", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    data_dir = tmp_path_factory.mktemp("demo")
    result = run_demo(
        data_dir,
        "--loans", "4",
        "--fault", "retry_later=0.2,server_error=0.05,drop_before=0.03",
        "--retry-later-seconds", "1",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return data_dir, result.stdout


def test_every_loan_under_faults_ends_with_a_signed_pdf(demo: tuple[Path, str]) -> None:
    data_dir, output = demo
    signed = re.findall(r"signed PDF: (\S+)\n\s+SHA-256:\s+([0-9a-f]{64})", output)
    assert len(signed) == 4
    for path, digest in signed:
        content = Path(path).read_bytes()
        assert content.startswith(b"%PDF-")
        assert hashlib.sha256(content).hexdigest() == digest
    assert "Temporal UI: http://localhost:8233/namespaces/default/workflows/signing-" in output
    faults = (data_dir / "logs" / "sandbox.log").read_text()
    assert "fault retry_later" in faults  # the profile really bit


def test_logs_and_the_temporal_database_hold_no_personal_data_or_secrets(
    demo: tuple[Path, str],
) -> None:
    data_dir, _ = demo
    places = [*sorted((data_dir / "logs").glob("*.log")), *sorted(data_dir.glob("temporal.db*"))]
    for place in places:
        content = place.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in content, f"{secret[:4]}… in {place.name}"
        for pattern in PII:
            assert pattern.search(content) is None, f"{pattern.pattern!r} in {place.name}"


def test_a_second_run_on_the_same_data_works(demo: tuple[Path, str]) -> None:
    data_dir, _ = demo
    result = run_demo(data_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "done: 1 loan agreement(s) signed" in result.stdout
