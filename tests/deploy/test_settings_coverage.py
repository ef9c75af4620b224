"""Every setting signflow reads is provided by compose and by Kubernetes, secrets as files.

The settings are `workers.settings.Settings.model_fields` (plus the secrets-directory
variable read beside the model); which are secret is derived from their annotations
(`SecretStr`, or a type containing it). A setting counts as provided when it has a
value, or, only if its default is None (unset means "off"), when a comment
`# SIGNFLOW_X (off): ...` declares it deliberately unset beside the others.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest

from tests.deploy.support import (
    COMPOSE_DIR,
    K8S,
    OVERLAYS,
    compose,
    env_files,
    environment,
    interpolate,
    is_example,
    is_secret_annotation,
    is_signflow_service,
    load_all,
    off_declarations,
    parse_env_file,
    pod_specs,
    render,
    secret_names,
)
from workers import settings as settings_module
from workers.settings import Settings, env_name, load_settings

FIELDS = {env_name(name): field for name, field in Settings.model_fields.items()}
SECRET = {name for name, field in FIELDS.items() if is_secret_annotation(field.annotation)}
OFF_ALLOWED = {name for name, field in FIELDS.items() if field.default is None}
OUTSIDE_MODEL = {
    value
    for value in [getattr(settings_module, "SECRETS_DIR_VARIABLE", None)]
    if isinstance(value, str)
}
KNOWN = set(FIELDS) | OUTSIDE_MODEL


class Provided:
    """Where one deployment gives each variable: values, secret files, (off) comments."""

    def __init__(self) -> None:
        self.values: dict[str, set[str]] = {}
        self.files: dict[str, set[str]] = {}
        self.off: dict[str, set[str]] = {}

    @staticmethod
    def _add(into: dict[str, set[str]], variable: str, where: str) -> None:
        into.setdefault(variable, set()).add(where)

    def value(self, variable: str, where: str) -> None:
        self._add(self.values, variable, where)

    def file(self, name: str, where: str) -> None:
        self._add(self.files, name.upper(), where)

    def declared_off(self, text: str, where: str) -> None:
        for variable in off_declarations(text):
            self._add(self.off, variable, where)

    def all_names(self) -> set[str]:
        return {*self.values, *self.files, *self.off}


def _compose() -> Provided:
    provided = Provided()
    for name, service in compose()["services"].items():
        if not is_signflow_service(service):
            continue
        for path in env_files(service):
            for variable in parse_env_file(path):
                provided.value(variable, path.name)
            provided.declared_off(path.read_text(encoding="utf-8"), path.name)
        for variable in environment(service):
            provided.value(variable, f"compose.yaml {name}")
        for secret in secret_names(service):
            if secret.upper().startswith("SIGNFLOW_"):
                provided.file(secret, f"compose secret {secret}")
    return provided


def _kubernetes(overlay: str) -> Provided:
    provided = Provided()
    documents = render(K8S / overlay)
    provided.declared_off((K8S / "base" / "configmap.yaml").read_text(encoding="utf-8"), "base")
    for directory in (K8S / "base", K8S / overlay):
        for path in directory.glob("*.yaml"):
            if is_example(path):
                documents += load_all(path)
    for document in documents:
        name = document["metadata"]["name"]
        if document["kind"] == "ConfigMap":
            for variable in document.get("data", {}):
                provided.value(variable, f"ConfigMap {name}")
        if document["kind"] == "Secret":
            for key in {**document.get("stringData", {}), **document.get("data", {})}:
                provided.file(key, f"Secret {name}")
    for workload, spec in pod_specs(documents):
        for container in spec["containers"]:
            for variable in container.get("env", []):
                if "value" in variable:
                    provided.value(variable["name"], f"{workload['metadata']['name']} env")
    return provided


DEPLOYMENTS: dict[str, Callable[[], Provided]] = {
    "compose": _compose,
    **{f"k8s-{overlay}": partial(_kubernetes, overlay) for overlay in OVERLAYS},
}


def _problems(provided: Provided) -> Iterator[str]:
    for variable in sorted(FIELDS):
        given = variable in provided.values or variable in provided.files
        if not given and variable not in provided.off:
            yield f"{variable} is not provided"
        if variable in provided.off and variable not in OFF_ALLOWED:
            yield f"{variable} is declared (off) but has a default: give it a value"
    for variable in sorted(provided.all_names() - KNOWN):
        if variable.startswith("SIGNFLOW_"):
            yield f"{variable} is not a setting signflow knows (a typo?)"


@pytest.mark.parametrize("deployment", DEPLOYMENTS)
def test_every_setting_is_provided_and_every_variable_is_a_setting(deployment: str) -> None:
    problems = list(_problems(DEPLOYMENTS[deployment]()))
    assert not problems, f"{deployment}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("deployment", DEPLOYMENTS)
def test_secret_settings_come_only_from_secret_files(deployment: str) -> None:
    provided = DEPLOYMENTS[deployment]()
    for variable in sorted(SECRET):
        assert variable not in provided.values, (
            f"{deployment}: secret {variable} given inline in {provided.values[variable]}"
        )
    for variable in sorted(provided.files):
        assert variable in SECRET, (
            f"{deployment}: {variable} is not a secret setting but comes from "
            f"{provided.files[variable]}: put it with the other settings"
        )


@pytest.mark.parametrize(
    "path", [COMPOSE_DIR / "signflow.env", K8S / "base" / "configmap.yaml"], ids=lambda p: p.name
)
def test_no_file_both_sets_a_setting_and_declares_it_off(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    given = set(parse_env_file(path) if path.suffix == ".env" else load_all(path)[0]["data"])
    assert not off_declarations(text) & given


def test_the_model_has_secret_settings_to_protect() -> None:
    # The control for the two tests above: the derivation finds the known secrets.
    assert {"SIGNFLOW_DIGISIGN_TOKEN", "SIGNFLOW_ENCRYPTION_KEYS"} <= SECRET
    assert "SIGNFLOW_DIGISIGN_BASE_URL" not in SECRET


def test_a_missing_setting_and_a_typo_are_reported() -> None:
    provided = _compose()
    provided.values.pop("SIGNFLOW_TASK_QUEUE")
    provided.value("SIGNFLOW_TASK_QEUE", "a typo")
    problems = list(_problems(provided))
    assert "SIGNFLOW_TASK_QUEUE is not provided" in problems
    assert "SIGNFLOW_TASK_QEUE is not a setting signflow knows (a typo?)" in problems


# --- the settings each compose service gets actually load -----------------------------


@pytest.fixture(scope="module")
def made_secrets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("openssl") is None:
        pytest.skip("make-secrets needs openssl")
    target = tmp_path_factory.mktemp("compose") / "secrets"
    subprocess.run(  # noqa: S603 - our own script
        [str(COMPOSE_DIR / "make-secrets"), str(target)],
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin:/usr/local/bin", "OPS_PASSWORD": "x"},
    )
    return target


@pytest.mark.parametrize("service", ["worker", "gateway", "search-attributes"])
def test_settings_of_each_compose_service_load(
    service: str, made_secrets: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    definition = compose()["services"][service]
    variables: dict[str, str] = {}
    for path in env_files(definition):
        variables |= parse_env_file(path)
    variables |= {k: interpolate(v) for k, v in environment(definition).items()}
    mounted = tmp_path / "run-secrets"
    mounted.mkdir()
    for name in secret_names(definition):
        shutil.copy(made_secrets / name, mounted / name)
    variables["SIGNFLOW_SECRETS_DIR"] = str(mounted)
    for key in [k for k in os.environ if k.startswith("SIGNFLOW_")]:
        monkeypatch.delenv(key)
    for key, value in variables.items():
        monkeypatch.setenv(key, value)
    settings = load_settings(_env_file=None)
    assert settings.encryption_key_id in settings.encryption_keys
    if service == "worker":
        assert settings.digisign_token.get_secret_value() == (
            (made_secrets / "signflow_digisign_token").read_text()
        )
        assert settings.health_bind_address == "0.0.0.0:8090"
    if service == "gateway":
        assert settings.codec_token is not None
        assert settings.gateway_host == "0.0.0.0"  # noqa: S104 - in a container
