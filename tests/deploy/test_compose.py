"""The compose file follows the compose specification and runs a sound stack.

The specification check is check-jsonschema with its vendored compose-spec schema
(no Docker engine here to run `docker compose config`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.support import (
    COMPOSE_DIR,
    COMPOSE_FILE,
    compose,
    env_files,
    environment,
    interpolate,
    is_signflow_service,
    parse_env_file,
    secret_names,
    venv_tool,
)

ONE_SHOT = {"search-attributes"}


def _check_jsonschema(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own tool on our own file
        [
            str(venv_tool("check-jsonschema")),
            "--builtin-schema",
            "vendor.compose-spec",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_compose_file_follows_the_compose_specification() -> None:
    result = _check_jsonschema(COMPOSE_FILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_misspelt_key_breaks_the_specification_check(tmp_path: Path) -> None:
    # The control: the same check on a copy with one typo must fail.
    broken = compose()
    broken["services"]["worker"]["helthcheck"] = broken["services"]["worker"].pop("healthcheck")
    path = tmp_path / "compose.yaml"
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    result = _check_jsonschema(path)
    assert result.returncode != 0
    assert "helthcheck" in result.stdout + result.stderr


def test_every_long_running_service_has_a_healthcheck() -> None:
    for name, service in compose()["services"].items():
        if name in ONE_SHOT:
            assert service["restart"].startswith("on-failure"), name
            continue
        check = service.get("healthcheck")
        assert check, f"{name}: no healthcheck"
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name


def test_every_image_is_pinned_to_a_version() -> None:
    for name, service in compose()["services"].items():
        image = interpolate(service["image"])
        repository, _, tag = image.rpartition(":")
        assert repository, f"{name}: {image} is not pinned"
        assert tag not in ("", "latest"), f"{name}: {image} is not pinned"
        assert re.search(r"\d", tag), f"{name}: {image} has no version in its tag"


def test_temporal_runs_on_postgresql_and_the_ui_decodes_through_the_gateway_codec() -> None:
    services = compose()["services"]
    temporal = services["temporal"]
    assert temporal["image"].startswith("temporalio/auto-setup:")
    assert temporal["environment"]["DB"] == "postgres12"
    assert temporal["environment"]["POSTGRES_SEEDS"] == "postgresql"
    assert temporal["depends_on"]["postgresql"]["condition"] == "service_healthy"
    endpoint = interpolate(services["temporal-ui"]["environment"]["TEMPORAL_CODEC_ENDPOINT"])
    assert endpoint.endswith("/codec"), "the UI appends /decode to the endpoint"
    origins = interpolate(environment(services["gateway"])["SIGNFLOW_CODEC_ALLOWED_ORIGINS"])
    assert origins == f'["{endpoint.removesuffix("/codec")}"]', "the UI's origin may call"


def test_search_attributes_are_registered_before_workers_and_gateways_start() -> None:
    services = compose()["services"]
    job = services["search-attributes"]
    assert job["command"] == ["search-attributes"]
    assert job["depends_on"]["temporal"]["condition"] == "service_healthy"
    for name in ("worker", "gateway"):
        condition = services[name]["depends_on"]["search-attributes"]["condition"]
        assert condition == "service_completed_successfully", name


def test_worker_and_gateway_scale_and_the_worker_outlives_its_graceful_shutdown() -> None:
    services = compose()["services"]
    for name in ("worker", "gateway"):
        assert int(interpolate(str(services[name]["deploy"]["replicas"]))) >= 2
        assert "ports" not in services[name], f"{name} must be reached through the proxy"
    settings = parse_env_file(COMPOSE_DIR / "signflow.env")
    grace = int(settings["SIGNFLOW_GRACEFUL_SHUTDOWN_SECONDS"])
    stop = services["worker"]["stop_grace_period"]
    assert stop.endswith("s")
    assert int(stop[:-1]) > grace + 10


def test_signflow_services_run_read_only_without_privileges() -> None:
    for name, service in compose()["services"].items():
        if not is_signflow_service(service):
            continue
        assert service["read_only"] is True, name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert "user" not in service, f"{name}: the image's fixed non-root user is meant"


def test_uat_profile_runs_the_sandbox_and_points_digisign_at_it() -> None:
    services = compose()["services"]
    sandbox = services["sandbox"]
    assert sandbox["profiles"] == ["uat"]
    assert [name for name, s in services.items() if s.get("profiles")] == ["sandbox"]
    uat = parse_env_file(COMPOSE_DIR / "uat.env")
    assert uat["COMPOSE_PROFILES"] == "uat"
    port = sandbox["command"][sandbox["command"].index("--port") + 1]
    assert uat["DIGISIGN_BASE_URL"] == f"http://sandbox:{port}"
    assert "${DIGISIGN_BASE_URL" in environment(services["worker"])["SIGNFLOW_DIGISIGN_BASE_URL"]


def test_every_secret_is_a_file_with_a_committed_example_and_the_real_one_ignored() -> None:
    document = compose()
    secrets_dir = COMPOSE_DIR / "secrets"
    ignored = (secrets_dir / ".gitignore").read_text(encoding="utf-8").split()
    assert "*" in ignored
    assert "!*.example" in ignored
    for name, secret in document["secrets"].items():
        assert set(secret) == {"file"}, f"{name}: secrets come from files only"
        path = (COMPOSE_DIR / secret["file"]).resolve()
        assert path.parent == secrets_dir.resolve(), f"{name}: outside secrets/"
        assert path.with_name(path.name + ".example").is_file(), f"{name}: no .example"
    used = {n for s in document["services"].values() for n in secret_names(s)}
    assert used == set(document["secrets"]), "a secret is declared but unused, or vice versa"


_SECRET_LOOKING = re.compile(r"PASSWORD|PASSWD|PWD|SECRET|TOKEN|API_KEY|PRIVATE|_KEY$")


def test_no_environment_variable_carries_a_secret_value() -> None:
    # Secrets reach containers as files; a variable may only point at one (`*_FILE`,
    # `*_DIR`). signflow's own variables are checked against the model in
    # test_settings_coverage.py; this catches the others (PostgreSQL, Temporal).
    for name, service in compose()["services"].items():
        variables: dict[str, Any] = dict(environment(service))
        for path in env_files(service):
            variables |= parse_env_file(path)
        for key in variables:
            if _SECRET_LOOKING.search(key) and not key.endswith(("_FILE", "_DIR")):
                pytest.fail(f"{name}: {key} looks like a secret given inline")


def test_config_files_exist() -> None:
    for name, config in compose()["configs"].items():
        assert (COMPOSE_DIR / config["file"]).is_file(), name


@pytest.mark.skipif(shutil.which("openssl") is None, reason="make-secrets needs openssl")
def test_make_secrets_writes_every_secret_once_and_keeps_existing_ones(tmp_path: Path) -> None:
    target = tmp_path / "secrets"
    script = COMPOSE_DIR / "make-secrets"
    env = {"PATH": "/usr/bin:/bin:/usr/local/bin", "OPS_PASSWORD": "correct horse"}
    subprocess.run([str(script), str(target)], check=True, env=env, capture_output=True)  # noqa: S603
    made = {p.name for p in target.iterdir()}
    assert made == set(compose()["secrets"])
    assert (target.stat().st_mode & 0o777) == 0o700
    token = (target / "signflow_codec_token").read_text()
    assert f'"Bearer {token}";' in (target / "codec_proxy_auth").read_text()
    assert (target / "ops_htpasswd").read_text().startswith("operator:$6$")
    (target / "signflow_event_token").write_text("kept by hand")
    subprocess.run([str(script), str(target)], check=True, env=env, capture_output=True)  # noqa: S603
    assert (target / "signflow_event_token").read_text() == "kept by hand"
