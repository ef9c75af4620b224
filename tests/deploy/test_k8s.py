"""The Kubernetes manifests validate against the Kubernetes schemas and fit together.

Every document of every YAML file under deploy/k8s is validated with
kubernetes-validate in strict mode (unknown fields fail) for KUBERNETES_VERSION; so
is what each overlay renders to. When `kubectl` is installed, its own kustomize
must render the same objects as the test's renderer.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from pydantic import SecretStr

from gateway.config import GatewayConfig
from gateway.health import health_router
from tests.deploy.support import (
    K8S,
    KUBERNETES_VERSION,
    OVERLAYS,
    is_example,
    is_kustomization,
    k8s_yaml_files,
    load_all,
    pod_specs,
    render,
)
from workers.health import parse_bind_address

MANIFESTS = [path for path in k8s_yaml_files() if not is_kustomization(path)]
KUSTOMIZATIONS = [path for path in k8s_yaml_files() if is_kustomization(path)]


def _validate(document: dict[str, Any], where: str) -> None:
    try:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        path = ".".join(str(part) for part in error.path)
        pytest.fail(f"{where}: {document['kind']} {path}: {error.message}")
    except kubernetes_validate.SchemaNotFoundError as error:
        pytest.fail(f"{where}: {error.message}")


def _name(document: dict[str, Any]) -> str:
    return f"{document['kind']}/{document['metadata']['name']}"


def test_there_are_manifests_and_overlays_to_validate() -> None:
    assert len(MANIFESTS) >= 8
    for overlay in OVERLAYS:
        assert (K8S / overlay / "kustomization.yaml").is_file()


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: str(p.relative_to(K8S)))
def test_every_document_of_every_manifest_validates_strictly(path: Path) -> None:
    documents = load_all(path)
    assert documents, f"{path} has no document"
    for document in documents:
        _validate(document, str(path.relative_to(K8S)))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_overlay_renders_to_valid_objects(overlay: str) -> None:
    documents = render(K8S / overlay)
    names = [_name(d) for d in documents]
    assert len(names) == len(set(names)), f"duplicate objects in {overlay}"
    for document in documents:
        _validate(document, f"{overlay} (rendered)")


def test_an_unknown_field_fails_validation() -> None:
    # The control: strict validation really rejects what a typo produces.
    documents = render(K8S / "self-hosted")
    deployment = next(d for d in documents if d["kind"] == "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("path", KUSTOMIZATIONS, ids=lambda p: str(p.relative_to(K8S)))
def test_every_resource_a_kustomization_lists_exists(path: Path) -> None:
    kustomization = load_all(path)[0]
    assert kustomization["kind"] == "Kustomization"
    for resource in kustomization.get("resources", []):
        target = path.parent / resource
        assert target.is_file() or (target / "kustomization.yaml").is_file(), (
            f"{path.relative_to(K8S)} lists {resource}, which does not exist"
        )


def test_every_manifest_is_listed_by_a_kustomization_except_the_examples() -> None:
    listed: set[Path] = set()
    for path in KUSTOMIZATIONS:
        for resource in load_all(path)[0].get("resources", []):
            listed.add((path.parent / resource).resolve())
    for manifest in MANIFESTS:
        if is_example(manifest):
            assert manifest.resolve() not in listed, f"{manifest} must never be applied"
        else:
            assert manifest.resolve() in listed, f"no kustomization lists {manifest}"


def test_examples_hold_placeholders_only() -> None:
    for manifest in (m for m in MANIFESTS if is_example(m)):
        for document in load_all(manifest):
            assert document["kind"] == "Secret"
            values = {**document.get("stringData", {}), **document.get("data", {})}
            for key, value in values.items():
                assert "REPLACE_ME" in value, f"{manifest.name}: {key} is not a placeholder"


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kubectl_kustomize_renders_what_the_test_validates(overlay: str) -> None:
    output = subprocess.run(  # noqa: S603 - our own files
        ["kubectl", "kustomize", str(K8S / overlay)],  # noqa: S607 - the operator's kubectl
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    theirs = sorted(json.dumps(d, sort_keys=True) for d in yaml.safe_load_all(output) if d)
    ours = sorted(json.dumps(d, sort_keys=True) for d in render(K8S / overlay))
    assert theirs == ours


# --- how the objects fit together ---------------------------------------------------------


def _settings(documents: list[dict[str, Any]]) -> dict[str, str]:
    configmap = next(d for d in documents if d["kind"] == "ConfigMap")
    data: dict[str, str] = configmap["data"]
    return data


def _secret_keys() -> set[str]:
    return {
        key
        for manifest in MANIFESTS
        if is_example(manifest)
        for document in load_all(manifest)
        for key in document.get("stringData", {})
    }


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_run_as_non_root_on_a_read_only_root_with_a_writable_tmp(overlay: str) -> None:
    documents = render(K8S / overlay)
    for workload, spec in pod_specs(documents):
        assert spec["securityContext"]["runAsNonRoot"] is True, _name(workload)
        assert spec["securityContext"]["runAsUser"] == 10001, _name(workload)
        assert spec.get("automountServiceAccountToken") is False, _name(workload)
        tmp_volumes = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert mounts.get("/tmp") in tmp_volumes  # noqa: S108 - the pod's own emptyDir, f"{_name(workload)}: no writable /tmp"
            assert "limits" in container["resources"]
            assert "requests" in container["resources"]
            assert container["image"] == "registry.lender.example/signflow:0.1.0"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_are_mounted_where_settings_read_them_and_exist_in_the_example(
    overlay: str,
) -> None:
    documents = render(K8S / overlay)
    secrets_dir = _settings(documents)["SIGNFLOW_SECRETS_DIR"]
    known = _secret_keys()
    for workload, spec in pod_specs(documents):
        volume = next(v for v in spec["volumes"] if v["name"] == "secrets")
        for source in volume["projected"]["sources"]:
            for item in source["secret"]["items"]:
                assert item["key"] in known, f"{_name(workload)}: {item['key']} in no example"
                assert item["path"] == item["key"]
        for container in spec["containers"]:
            mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
            assert mounts["secrets"] == secrets_dir


def test_worker_probes_and_shutdown_fit_its_settings() -> None:
    documents = render(K8S / "self-hosted")
    settings = _settings(documents)
    worker = next(d for d in documents if _name(d) == "Deployment/signflow-worker")
    spec = worker["spec"]["template"]["spec"]
    container = spec["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert parse_bind_address(settings["SIGNFLOW_HEALTH_BIND_ADDRESS"])[1] == ports["health"]
    assert parse_bind_address(settings["SIGNFLOW_METRICS_BIND_ADDRESS"])[1] == ports["metrics"]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "health"}
    grace = int(settings["SIGNFLOW_GRACEFUL_SHUTDOWN_SECONDS"])
    assert spec["terminationGracePeriodSeconds"] > grace + 10


def test_gateway_probes_are_the_gateway_routes_on_its_port() -> None:
    documents = render(K8S / "self-hosted")
    settings = _settings(documents)
    gateway = next(d for d in documents if _name(d) == "Deployment/signflow-gateway")
    container = gateway["spec"]["template"]["spec"]["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["http"] == int(settings["SIGNFLOW_GATEWAY_PORT"])
    config = GatewayConfig(
        public_url="https://x.example",
        digisign_aes_key=SecretStr("k" * 16),
        event_token=SecretStr("t"),
    )
    routes = {route.path for route in health_router(config, None).routes}  # type: ignore[arg-type,attr-defined]
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["path"] in routes
        assert container[probe]["httpGet"]["port"] == "http"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_service_pdbs_and_hpa_select_the_pods_they_mean() -> None:
    documents = render(K8S / "self-hosted")
    deployments = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Deployment"}
    pods = {name: d["spec"]["template"]["metadata"]["labels"] for name, d in deployments.items()}

    def selects(selector: dict[str, str]) -> list[str]:
        return [n for n, labels in pods.items() if selector.items() <= labels.items()]

    service = next(d for d in documents if _name(d) == "Service/signflow-gateway")
    assert selects(service["spec"]["selector"]) == ["signflow-gateway"]
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    pdbs = [d for d in documents if d["kind"] == "PodDisruptionBudget"]
    assert sorted(n for p in pdbs for n in selects(p["spec"]["selector"]["matchLabels"])) == [
        "signflow-gateway",
        "signflow-worker",
    ]
    hpa = next(d for d in documents if d["kind"] == "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"]["name"] == "signflow-gateway"
    assert "replicas" not in deployments["signflow-gateway"]["spec"], "the HPA owns replicas"
    ingress = next(d for d in documents if d["kind"] == "Ingress")
    paths = [p["path"] for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
    assert "/codec" not in paths, "the codec must not be public"
    assert "/" not in paths, "only /digisign and /v1 are public"


def test_network_policies_open_exactly_the_ports_the_pods_listen_on() -> None:
    documents = render(K8S / "self-hosted")
    policies = {d["metadata"]["name"]: d for d in documents if d["kind"] == "NetworkPolicy"}
    assert policies["default-deny"]["spec"] == {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
    }
    for name, deployment in ((d["metadata"]["name"], d) for d in documents):
        if deployment["kind"] != "Deployment":
            continue
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        listening = {p["containerPort"] for p in container["ports"]}
        opened = {
            port["port"]
            for rule in policies[name]["spec"].get("ingress", [])
            for port in rule["ports"]
        }
        assert opened, f"{name}: no ingress at all"
        assert opened <= listening, f"{name}: ingress ports {opened}"
    job = next(d for d in documents if d["kind"] == "Job")
    labels = job["spec"]["template"]["metadata"]["labels"]
    selector = policies["signflow-search-attributes"]["spec"]["podSelector"]["matchLabels"]
    assert selector.items() <= labels.items()


@pytest.mark.parametrize("overlay", ["temporal-cloud-mtls", "temporal-cloud-api-key"])
def test_temporal_cloud_overlays_use_tls_without_the_job(overlay: str) -> None:
    documents = render(K8S / overlay)
    settings = _settings(documents)
    assert settings["SIGNFLOW_TEMPORAL_TLS"] == "true"
    assert not any(d["kind"] == "Job" for d in documents), "Temporal Cloud refuses the job"
    for _, spec in pod_specs(documents):
        mounts = {m["mountPath"] for m in spec["containers"][0]["volumeMounts"]}
        if overlay == "temporal-cloud-mtls":
            for path in (
                settings["SIGNFLOW_TEMPORAL_TLS_CERT"],
                settings["SIGNFLOW_TEMPORAL_TLS_KEY"],
            ):
                assert str(Path(path).parent) in mounts
        else:
            sources = spec["volumes"][0]["projected"]["sources"]
            keys = {i["key"] for s in sources for i in s["secret"]["items"]}
            assert "signflow_temporal_api_key" in keys
