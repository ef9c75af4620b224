"""Reading deploy/: YAML files, the compose file, kustomizations, settings.

Kept free of pytest so the test modules stay short. Nothing here touches the network.
"""

from __future__ import annotations

import copy
import re
import sys
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import SecretStr

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
COMPOSE_DIR = DEPLOY / "compose"
COMPOSE_FILE = COMPOSE_DIR / "compose.yaml"
K8S = DEPLOY / "k8s"

KUBERNETES_VERSION = "1.33"
"""The Kubernetes version every manifest is validated against (strict schemas)."""

OVERLAYS = ("self-hosted", "temporal-cloud-mtls", "temporal-cloud-api-key")
"""The kustomizations an operator applies (`kubectl apply -k deploy/k8s/<overlay>`)."""

_OFF = re.compile(r"^\s*#\s*(SIGNFLOW_[A-Z0-9_]+) \(off\)", re.MULTILINE)
_INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}")


def venv_tool(name: str) -> Path:
    """An executable installed in the running interpreter's environment."""
    return Path(sys.executable).parent / name


def load_all(path: Path) -> list[Any]:
    """Every non-empty YAML document of a file."""
    with path.open(encoding="utf-8") as file:
        return [doc for doc in yaml.safe_load_all(file) if doc is not None]


def off_declarations(text: str) -> set[str]:
    """Variables named by `# SIGNFLOW_X (off): ...` comments: deliberately unset."""
    return set(_OFF.findall(text))


def interpolate(value: str) -> str:
    """Compose interpolation with every variable unset: `${X:-default}` -> default."""
    return _INTERPOLATION.sub(lambda m: m.group(2) or "", value).replace("$$", "$")


# --- compose --------------------------------------------------------------------------


def compose() -> dict[str, Any]:
    """compose.yaml, with YAML anchors and merge keys resolved."""
    document = load_all(COMPOSE_FILE)
    assert len(document) == 1, "compose.yaml must be one YAML document"
    result: dict[str, Any] = document[0]
    return result


def parse_env_file(path: Path) -> dict[str, str]:
    """`KEY=VALUE` lines of a compose env file (comments and blank lines skipped)."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, value = stripped.partition("=")
        assert sep, f"{path.name}:{number}: not KEY=VALUE"
        values[key.strip()] = value.strip()
    return values


def env_files(service: dict[str, Any]) -> list[Path]:
    """The env files of a compose service, as paths."""
    entries = service.get("env_file", [])
    if isinstance(entries, str):
        entries = [entries]
    return [COMPOSE_DIR / (e if isinstance(e, str) else e["path"]) for e in entries]


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A compose service's `environment:`, as a mapping (list form accepted)."""
    env = service.get("environment", {})
    if isinstance(env, list):
        return dict(item.partition("=")[::2] for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def secret_names(service: dict[str, Any]) -> list[str]:
    """The file names under /run/secrets a compose service gets."""
    names = []
    for entry in service.get("secrets", []):
        if isinstance(entry, str):
            names.append(entry)
        else:
            names.append(Path(entry.get("target", entry["source"])).name)
    return names


def is_signflow_service(service: dict[str, Any]) -> bool:
    """A service running the signflow image (it loads signflow.env)."""
    return any(path.name == "signflow.env" for path in env_files(service))


# --- kubernetes -----------------------------------------------------------------------


def k8s_yaml_files() -> list[Path]:
    """Every YAML file under deploy/k8s."""
    return sorted([*K8S.rglob("*.yaml"), *K8S.rglob("*.yml")])


def is_kustomization(path: Path) -> bool:
    return path.name in ("kustomization.yaml", "kustomization.yml", "Kustomization")


def is_example(path: Path) -> bool:
    """Examples (placeholder Secrets) are validated but never applied."""
    return path.name.endswith(".example.yaml")


_KUSTOMIZATION_KEYS = {"apiVersion", "kind", "resources", "patches", "images"}


def render(directory: Path) -> list[dict[str, Any]]:
    """What `kubectl kustomize directory` gives, for the features deploy/k8s uses.

    Supported: `resources` (files and directories), `images`, and `patches` with an
    inline JSON 6902 patch and a kind/name target (the name a regular expression).
    Anything else fails, so a kustomization cannot use a feature this test would
    silently skip. A patch that matches nothing fails too (kustomize would ignore it).
    """
    kustomization = load_all(directory / "kustomization.yaml")[0]
    unknown = set(kustomization) - _KUSTOMIZATION_KEYS
    assert not unknown, f"{directory}: kustomization keys this test cannot render: {unknown}"
    documents: list[dict[str, Any]] = []
    for resource in kustomization.get("resources", []):
        path = directory / resource
        documents += render(path) if path.is_dir() else load_all(path)
    for patch in kustomization.get("patches", []):
        assert set(patch) == {"target", "patch"}, f"{directory}: unsupported patch {patch}"
        operations = yaml.safe_load(patch["patch"])
        assert isinstance(operations, list), f"{directory}: only JSON 6902 patches"
        targets = [d for d in documents if _matches(d, patch["target"])]
        assert targets, f"{directory}: patch target {patch['target']} matches nothing"
        for document in targets:
            apply_json_patch(document, operations)
    for image in kustomization.get("images", []):
        for container in _containers(documents):
            if container.get("image", "").split(":")[0] == image["name"]:
                container["image"] = f"{image.get('newName', image['name'])}:{image['newTag']}"
    return documents


def _matches(document: dict[str, Any], target: dict[str, str]) -> bool:
    unknown = set(target) - {"kind", "name"}
    assert not unknown, f"unsupported patch target fields: {unknown}"
    if "kind" in target and document.get("kind") != target["kind"]:
        return False
    name = document.get("metadata", {}).get("name", "")
    return "name" not in target or re.fullmatch(target["name"], name) is not None


def pod_specs(documents: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(workload, pod spec) of every Deployment and Job."""
    for document in documents:
        if document.get("kind") in ("Deployment", "Job", "StatefulSet", "DaemonSet"):
            yield document, document["spec"]["template"]["spec"]


def _containers(documents: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for _, spec in pod_specs(documents):
        yield from spec.get("initContainers", [])
        yield from spec.get("containers", [])


def apply_json_patch(document: Any, operations: list[dict[str, Any]]) -> None:
    """RFC 6902 add, replace, remove and test, in place."""
    for operation in operations:
        op, path = operation["op"], operation["path"]
        *parents, last = [
            part.replace("~1", "/").replace("~0", "~") for part in path.split("/")[1:]
        ]
        node = document
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if op == "test":
            current = node[int(last)] if isinstance(node, list) else node[last]
            assert current == operation["value"], f"patch test failed at {path}"
        elif op in ("add", "replace"):
            value = copy.deepcopy(operation["value"])
            if isinstance(node, list):
                if last == "-":
                    node.append(value)
                elif op == "add":
                    node.insert(int(last), value)
                else:
                    node[int(last)] = value
            else:
                assert op == "add" or last in node, f"replace of a missing {path}"
                node[last] = value
        elif op == "remove":
            del node[int(last) if isinstance(node, list) else last]
        else:
            raise AssertionError(f"unsupported patch op {op}")


# --- settings -------------------------------------------------------------------------


def is_secret_annotation(annotation: Any) -> bool:
    """SecretStr, or a type built from it (`SecretStr | None`, `dict[str, SecretStr]`)."""
    if annotation is SecretStr:
        return True
    return any(is_secret_annotation(arg) for arg in typing.get_args(annotation))
