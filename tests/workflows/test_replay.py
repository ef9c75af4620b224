"""Recorded histories replay on today's workflow code: running lifecycles survive deploys.

A failure here means the change is not deterministic for lifecycles already in
flight: guard it with `workflow.patched(...)`, or, if no such lifecycle can exist,
re-record with `python -m tests.workflows.record_histories` (see that module).

`histories/*.json` are today's scenarios. Each folder under `histories/` keeps the
histories of an older release, recorded before a patch (named after it): they must
go on replaying until the patch is deprecated.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.workflows.record_histories import HISTORIES, SCENARIOS
from workflows.signing import SigningWorkflow


def test_every_scenario_has_a_recorded_history() -> None:
    assert sorted(p.stem for p in HISTORIES.glob("*.json")) == sorted(SCENARIOS)


def _name(path: Path) -> str:
    return str(path.relative_to(HISTORIES).with_suffix(""))


RECORDED = [(_name(p), p.read_text()) for p in sorted(HISTORIES.glob("**/*.json"))]


def test_histories_from_before_each_patch_are_kept() -> None:
    assert {p.parent.name for p in HISTORIES.glob("*/*.json")} >= {"before-confirm-redirects"}


@pytest.mark.parametrize(("name", "recorded"), RECORDED, ids=[name for name, _ in RECORDED])
async def test_recorded_history_replays_on_the_current_code(name: str, recorded: str) -> None:
    history = WorkflowHistory.from_json(name, recorded)
    replayer = Replayer(workflows=[SigningWorkflow], data_converter=pydantic_data_converter)
    await replayer.replay_workflow(history)
