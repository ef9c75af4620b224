"""`signflow search-attributes` against a real dev server: registers, runs again
harmlessly, and refuses a namespace where a name has another type.

The command runs as the operator runs it: the installed `signflow` script in a
subprocess, configured by SIGNFLOW_* variables.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from tests.support.binaries import venv_binary
from tests.support.servers import free_port
from workers.cli import register_search_attributes

ON_DEV_SERVER = pytest.mark.asyncio(loop_scope="module")

KEYWORD = IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
EXPECTED = {
    "LoanId": KEYWORD,
    "DocumentId": KEYWORD,
    "SigningStage": KEYWORD,
    "PendingSigners": IndexedValueType.INDEXED_VALUE_TYPE_INT,
    "SignerEmailHashes": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def dev() -> AsyncIterator[WorkflowEnvironment]:
    """A dev server knowing none of signflow's attributes, with two spare namespaces."""
    async with await WorkflowEnvironment.start_local(
        dev_server_existing_path=venv_binary("temporal"),
        port=free_port(),
        dev_server_extra_args=["--namespace", "conflicting", "--namespace", "untouched"],
    ) as environment:
        yield environment


def signflow(variables: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed `signflow` script with these SIGNFLOW_* variables only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNFLOW_")}
    env |= {"SIGNFLOW_LOG_FORMAT": "console", **variables}
    script = str(Path(sys.executable).parent / "signflow")
    return subprocess.run(  # noqa: S603 - the project's own script
        [script, *args],
        env=env,
        cwd=cwd,  # no .env from the working tree
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def search_attributes(
    dev: WorkflowEnvironment, namespace: str, cwd: Path
) -> subprocess.CompletedProcess[str]:
    """`signflow search-attributes` against the dev server, in `namespace`."""
    variables = {
        "SIGNFLOW_TEMPORAL_ADDRESS": dev.client.service_client.config.target_host,
        "SIGNFLOW_TEMPORAL_NAMESPACE": namespace,
    }
    return signflow(variables, cwd, "search-attributes")


async def custom_attributes(dev: WorkflowEnvironment, namespace: str) -> dict[str, int]:
    listed = await dev.client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    return dict(listed.custom_attributes)


@ON_DEV_SERVER
async def test_the_attributes_are_registered_once_and_a_second_run_changes_nothing(
    dev: WorkflowEnvironment, tmp_path: Path
) -> None:
    before = await custom_attributes(dev, "default")
    assert not set(EXPECTED) & set(before)

    first = search_attributes(dev, "default", tmp_path)
    after_first = await custom_attributes(dev, "default")
    second = search_attributes(dev, "default", tmp_path)
    after_second = await custom_attributes(dev, "default")

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert {k: after_first[k] for k in EXPECTED} == EXPECTED
    assert after_second == after_first
    assert "  LoanId (Keyword): registered" in first.stdout
    assert "  PendingSigners (Int): registered" in first.stdout
    assert "  SignerEmailHashes (KeywordList): registered" in first.stdout
    assert first.stdout.count(": registered") == len(EXPECTED)
    assert second.stdout.count(": already registered") == len(EXPECTED)
    assert "  LoanId (Keyword): already registered" in second.stdout
    # Only the namespace asked for.
    assert not set(EXPECTED) & set(await custom_attributes(dev, "untouched"))


@ON_DEV_SERVER
async def test_a_name_registered_with_another_type_is_an_error_and_nothing_changes(
    dev: WorkflowEnvironment, tmp_path: Path
) -> None:
    await dev.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace="conflicting",
            search_attributes={"LoanId": IndexedValueType.INDEXED_VALUE_TYPE_INT},
        )
    )

    done = search_attributes(dev, "conflicting", tmp_path)

    assert done.returncode == 1
    assert "LoanId is registered as Int, signflow needs Keyword" in done.stderr
    assert "nothing was changed" in done.stderr
    assert "Traceback" not in done.stderr
    assert await custom_attributes(dev, "conflicting") == {
        "LoanId": IndexedValueType.INDEXED_VALUE_TYPE_INT
    }


@ON_DEV_SERVER
async def test_an_unknown_namespace_is_a_clear_error(
    dev: WorkflowEnvironment, tmp_path: Path
) -> None:
    done = search_attributes(dev, "no-such-namespace", tmp_path)

    assert done.returncode == 1
    assert done.stderr.startswith("signflow: cannot register search attributes:")
    assert "no-such-namespace" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    address = f"127.0.0.1:{free_port()}"

    done = signflow({"SIGNFLOW_TEMPORAL_ADDRESS": address}, tmp_path, "search-attributes")

    assert done.returncode == 1
    assert "Failed client connect" in done.stderr
    assert "Traceback" not in done.stderr


class RefusingOperatorService:
    """Temporal Cloud's answer to the operator service (no local server refuses it)."""

    async def list_search_attributes(self, request: ListSearchAttributesRequest) -> None:
        raise RPCError("Request unauthorized.", RPCStatusCode.PERMISSION_DENIED, b"")


class CloudClient:
    operator_service = RefusingOperatorService()


async def test_a_refused_operator_call_points_to_temporal_cloud_tools(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = await register_search_attributes(CloudClient(), "lender.a1b2c")  # type: ignore[arg-type]

    err = capsys.readouterr().err
    assert status == 1
    assert "refused to manage search attributes (Request unauthorized.)" in err
    assert "tcld namespace search-attributes add" in err
    assert "LoanId=Keyword" in err
    assert "SignerEmailHashes=KeywordList" in err


def test_the_help_says_temporal_cloud_uses_its_own_control_plane(tmp_path: Path) -> None:
    done = signflow({}, tmp_path, "search-attributes", "--help")

    assert done.returncode == 0
    assert "Temporal Cloud" in done.stdout
    assert "tcld" in done.stdout
