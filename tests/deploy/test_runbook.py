"""deploy/README.md names only things that exist: stages, settings, metrics, actions.

An operator copies the runbook's queries and requests during an incident; a stage
value, a variable or an endpoint that has been renamed must fail here, not then.
"""

from __future__ import annotations

import re

from tests.deploy.support import COMPOSE_DIR, DEPLOY, REPO, compose
from workers import settings as settings_module
from workers.settings import Settings, env_name
from workflows.models import Stage

RUNBOOK = (DEPLOY / "README.md").read_text(encoding="utf-8")
SOURCES = "\n".join(
    path.read_text(encoding="utf-8")
    for package in ("workers", "workflows", "activities", "digisign", "gateway")
    for path in (REPO / package).rglob("*.py")
)


def test_stage_values_in_queries_are_real_stages() -> None:
    quoted = re.findall(r"SigningStage = '([^']*)'", RUNBOOK)
    for group in re.findall(r"SigningStage IN \(([^)]*)\)", RUNBOOK):
        quoted += re.findall(r"'([^']*)'", group)
    listed = re.search(r"`SigningStage` \(([^)]*)\)", RUNBOOK)
    assert listed is not None
    named = re.findall(r"`(\w+)`", listed.group(1))
    assert quoted
    assert set(quoted) <= {stage.value for stage in Stage}
    assert set(named) == {stage.value for stage in Stage}, "the runbook lists every stage"


def test_every_variable_named_is_a_setting() -> None:
    known = {env_name(name) for name in Settings.model_fields}
    known |= {getattr(settings_module, "SECRETS_DIR_VARIABLE", "SIGNFLOW_SECRETS_DIR")}
    named = set(re.findall(r"\bSIGNFLOW_[A-Z0-9_]*[A-Z0-9]\b", RUNBOOK)) - {"SIGNFLOW_X"}
    assert named
    assert named <= known, named - known


def test_every_metric_named_is_emitted_by_signflow() -> None:
    files = {name.lower() for name in (env_name(f) for f in Settings.model_fields)}
    secrets = set(compose()["secrets"]) | files
    emitted = set(re.findall(r"\"(signflow_[a-z0-9_]+)\"", SOURCES))
    named = set(re.findall(r"\bsignflow_[a-z0-9_]+", RUNBOOK)) - secrets
    assert named
    assert named <= emitted, named - emitted


def test_every_action_named_is_a_gateway_route() -> None:
    signings = (REPO / "gateway" / "signings.py").read_text(encoding="utf-8")
    actions = set(re.findall(r"/v1/signings/<document id>/([a-z-]+)", RUNBOOK))
    actions |= set(re.findall(r"/v1/signings/<id>/([a-z-]+)", RUNBOOK))
    assert actions
    for action in actions:
        assert f'"/{{document_id:path}}/{action}"' in signings, action


def test_compose_commands_name_real_files() -> None:
    for name in re.findall(r"--env-file (\S+)", RUNBOOK):
        assert (COMPOSE_DIR / name).is_file(), name
    for overlay in re.findall(r"apply -k deploy/k8s/([\w-]+)", RUNBOOK):
        assert (DEPLOY / "k8s" / overlay / "kustomization.yaml").is_file(), overlay
