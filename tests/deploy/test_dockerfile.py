"""The container image definition: hadolint-clean, multi-stage, pinned, non-root.

There is no Docker engine on the test machines, so the image is not built here; the
Dockerfile is linted with hadolint (from the virtualenv, configured by
deploy/.hadolint.yaml: every finding fails) and read for the properties the
deployment relies on. The build context's .dockerignore is checked against what the
Dockerfile copies.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.deploy.support import DEPLOY, REPO, venv_tool

DOCKERFILE = DEPLOY / "Dockerfile"
HADOLINT_CONFIG = DEPLOY / ".hadolint.yaml"


def _hadolint(dockerfile: Path) -> tuple[int, list[dict[str, object]]]:
    result = subprocess.run(  # noqa: S603 - our own tool on our own file
        [
            str(venv_tool("hadolint")),
            "--config",
            str(HADOLINT_CONFIG),
            "--format",
            "json",
            str(dockerfile),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.returncode, json.loads(result.stdout or "[]")


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    pairs = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def test_hadolint_finds_nothing() -> None:
    status, findings = _hadolint(DOCKERFILE)
    assert findings == [], "\n".join(f"{f['line']}: {f['code']} {f['message']}" for f in findings)
    assert status == 0


def test_hadolint_does_fail_a_bad_dockerfile(tmp_path: Path) -> None:
    # The control: the same binary and configuration reject the usual mistakes.
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install requests\n", encoding="utf-8")
    status, findings = _hadolint(bad)
    assert status != 0
    assert {"DL3007", "DL3013"} <= {f["code"] for f in findings}


def test_hadolint_config_ignores_nothing_silently() -> None:
    text = HADOLINT_CONFIG.read_text(encoding="utf-8")
    ignored = re.search(r"^ignored:\s*(.*)$", text, re.MULTILINE)
    assert ignored is not None
    for line in re.findall(r"^\s+-\s*(DL\d+|SC\d+)(.*)$", text, re.MULTILINE):
        assert "#" in line[1], f"{line[0]} is ignored without a reason"


def test_two_stages_on_the_same_pinned_python_3_11_slim() -> None:
    bases = [args.split()[0] for keyword, args in _instructions() if keyword == "FROM"]
    assert len(bases) == 2
    assert len(set(bases)) == 1, "the venv's interpreter path must exist in the runtime"
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", bases[0])


def test_dependencies_are_installed_from_the_constraints_with_the_s3_extra() -> None:
    runs = " ".join(args for keyword, args in _instructions() if keyword == "RUN")
    assert re.search(r"pip install [^&]*-c constraints\.txt[^&]*\"\.\[s3\]\"", runs)
    assert "--no-cache-dir" in runs


def test_runtime_stage_runs_signflow_as_a_fixed_non_root_user_without_build_tools() -> None:
    instructions = _instructions()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    runtime = instructions[last_from:]
    users = [args for keyword, args in runtime if keyword == "USER"]
    assert users, "the runtime stage sets no USER"
    assert re.fullmatch(r"[1-9]\d{3,}:[1-9]\d{3,}", users[-1]), users
    assert ("ENTRYPOINT", '["signflow"]') in runtime
    runtime_runs = " ".join(args for keyword, args in runtime if keyword == "RUN")
    assert not re.search(r"apt-get|gcc|build-essential|pip install", runtime_runs)
    env = " ".join(args for keyword, args in runtime if keyword == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env
    copies = [args for keyword, args in runtime if keyword == "COPY"]
    assert copies == ["--from=builder /opt/signflow /opt/signflow"]


# --- .dockerignore ---------------------------------------------------------------------


def _dockerignore() -> list[tuple[bool, str]]:
    rules = []
    for line in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            negated = line.startswith("!")
            rules.append((negated, line.lstrip("!").rstrip("/")))
    return rules


def _excluded(path: str) -> bool:
    """Docker's rule: the last matching pattern wins; a pattern matching a directory
    covers everything below it. `**` matches any number of directories."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for negated, pattern in _dockerignore():
        regex = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*")
        regex = regex.replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        if any(re.fullmatch(regex, prefix) for prefix in prefixes):
            excluded = not negated
    return excluded


@pytest.mark.parametrize(
    "path",
    [
        ".venv/bin/python",
        ".git/config",
        "var/blobs/x.pdf",
        "tests/unit/test_codec.py",
        "bench/README.md",
        "deploy/compose/secrets/signflow_digisign_token",
        ".env",
        "workers/__pycache__/cli.cpython-311.pyc",
        "gateway/.env",
        "signflow.egg-info/PKG-INFO",
        ".mypy_cache/x.json",
    ],
)
def test_the_build_context_leaves_out(path: str) -> None:
    assert _excluded(path)


def test_the_build_context_has_everything_the_dockerfile_copies() -> None:
    sources = []
    for keyword, args in _instructions():
        if keyword == "COPY" and not args.startswith("--from"):
            sources += args.split()[:-1]
    assert sources
    for source in sources:
        path = REPO / source
        assert path.exists(), f"COPY {source}: no such path"
        files = [p for p in path.rglob("*.py")] if path.is_dir() else [path]
        for file in files:
            relative = file.relative_to(REPO).as_posix()
            assert not _excluded(relative), f"COPY {source}: {relative} is excluded"


def test_the_installed_packages_are_the_ones_copied() -> None:
    # pyproject's package list and the Dockerfile's COPY lines must not drift apart.
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    listed = re.search(r"include = \[([^\]]*)\]", pyproject)
    assert listed is not None
    packages = {name.strip(' "*') for name in listed.group(1).split(",")}
    copied = {
        args.split()[0].rstrip("/")
        for keyword, args in _instructions()
        if keyword == "COPY" and args.split()[0].endswith("/")
    }
    assert packages == copied
    assert any("README.md" in args for keyword, args in _instructions() if keyword == "COPY"), (
        "pyproject.toml names README.md as its readme: the build needs it"
    )
