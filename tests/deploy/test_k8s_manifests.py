"""deploy/k8s: the base and the example overlay, rendered as `kubectl apply -k` would,
every object valid against its schema offline, and wired as operators need.

Built-in kinds use the schemas kubernetes-validate ships for KUBERNETES_VERSION (the
oldest the manifests support: the preStop `sleep` action needs 1.30); the Prometheus
Operator CRDs have vendored schemas under tests/deploy/schemas/ (nothing may be
downloaded here).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.deploy.manifests import (
    AGGREGATOR,
    INGEST,
    K8S_BASE,
    KUSTOMIZATIONS,
    SCRAPE_CONFIG,
    container_environment,
    k8s_by_kind,
    k8s_documents,
    process_of,
)

KUBERNETES_VERSION: Final = "1.30.0"
CRD_SCHEMAS: Final = Path(__file__).parent / "schemas"
ROOTS: Final = list(KUSTOMIZATIONS.values())
ROOT_IDS: Final = list(KUSTOMIZATIONS)


def _rendered() -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{rendering}: {d['kind']}/{d['metadata']['name']}", d)
        for rendering, root in KUSTOMIZATIONS.items()
        for d in k8s_documents(root)
    ]


@pytest.mark.parametrize(("where", "document"), _rendered(), ids=[w for w, _ in _rendered()])
def test_valid_against_its_schema(where: str, document: dict[str, Any]) -> None:
    group = document["apiVersion"].split("/")[0]
    if group.endswith("coreos.com"):
        version = document["apiVersion"].split("/")[1]
        path = CRD_SCHEMAS / f"{document['kind'].lower()}-{group}-{version}.json"
        jsonschema.validate(document, json.loads(path.read_text()))
    else:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_the_crd_schemas_refuse_a_misspelt_field() -> None:
    (rule,) = k8s_by_kind("PrometheusRule").values()
    rule["spec"]["groups"][0]["rules"][0]["anotations"] = {"summary": "typo"}
    schema = json.loads((CRD_SCHEMAS / "prometheusrule-monitoring.coreos.com-v1.json").read_text())
    with pytest.raises(jsonschema.ValidationError, match="anotations"):
        jsonschema.validate(rule, schema)


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((K8S_BASE / "kustomization.yaml").read_text())
    files = {p.name for p in K8S_BASE.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files


def _pod_spec(name: str, root: Path = K8S_BASE) -> dict[str, Any]:
    spec: dict[str, Any] = k8s_by_kind("Deployment", root)[name]["spec"]["template"]["spec"]
    return spec


def test_front_door_probes_resources_and_graceful_stop() -> None:
    (container,) = _pod_spec("caliper-ingest")["containers"]
    # It starts without a broker: alive (and started) on /healthz, ready on /readyz.
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert "memory" in container["resources"]["limits"]
    shutdown = float(container_environment(container).get("CALIPER_SHUTDOWN_TIMEOUT_S", 10))
    pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    grace = _pod_spec("caliper-ingest")["terminationGracePeriodSeconds"]
    assert grace > shutdown + pre_stop


@pytest.mark.parametrize("root", ROOTS, ids=ROOT_IDS)
def test_the_hpa_alone_sets_the_front_doors_replicas(root: Path) -> None:
    (hpa,) = k8s_by_kind("HorizontalPodAutoscaler", root).values()
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "caliper-ingest",
    }
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    # A `replicas` beside the HPA would reset its count on every apply.
    assert "replicas" not in k8s_by_kind("Deployment", root)["caliper-ingest"]["spec"]


@pytest.mark.parametrize("root", ROOTS, ids=ROOT_IDS)
def test_every_deployment_has_one_pdb_that_lets_a_drain_proceed(root: Path) -> None:
    budgets = k8s_by_kind("PodDisruptionBudget", root)
    for name, deployment in k8s_by_kind("Deployment", root).items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        selecting = [
            b
            for b in budgets.values()
            if b["spec"]["selector"]["matchLabels"].items() <= labels.items()
        ]
        assert len(selecting) == 1, f"{name}: {len(selecting)} PodDisruptionBudgets"
        budget = selecting[0]["spec"]
        if "minAvailable" in budget:
            # Below the fewest replicas there can be, or a drain can never evict one.
            hpa = k8s_by_kind("HorizontalPodAutoscaler", root).get(name)
            fewest = hpa["spec"]["minReplicas"] if hpa else deployment["spec"]["replicas"]
            assert budget["minAvailable"] < fewest, name
        else:
            assert budget["maxUnavailable"] >= 1, name


@pytest.mark.parametrize("root", ROOTS, ids=ROOT_IDS)
def test_consumer_replicas_do_not_exceed_partitions(root: Path) -> None:
    ingest_env = container_environment(_pod_spec("caliper-ingest", root)["containers"][0], root)
    partitions = int(ingest_env["CALIPER_EVENTS_PARTITIONS"])
    for name, deployment in k8s_by_kind("Deployment", root).items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        process = process_of(container["command"])
        if process is None or process is INGEST:
            continue
        assert deployment["spec"]["replicas"] <= partitions, name
        if process is AGGREGATOR:
            own = container_environment(container, root)["CALIPER_AGGREGATOR_EVENTS_PARTITIONS"]
            assert int(own) == partitions


def test_every_pod_runs_as_non_root_with_a_read_only_root() -> None:
    for name in k8s_by_kind("Deployment"):
        spec = _pod_spec(name)
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        for container in spec["containers"]:
            assert container["securityContext"]["readOnlyRootFilesystem"] is True, name
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, name


def test_services_select_pods_and_expose_named_ports() -> None:
    deployments = k8s_by_kind("Deployment")
    for name, service in k8s_by_kind("Service").items():
        selector = service["spec"]["selector"]
        matched = [
            d
            for d in deployments.values()
            if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert len(matched) == 1, f"Service/{name} selects {len(matched)} Deployments"
        ports = {
            p["name"]
            for c in matched[0]["spec"]["template"]["spec"]["containers"]
            for p in c["ports"]
        }
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in ports, f"Service/{name}: no container port {port}"


def test_servicemonitor_scrapes_every_process_under_its_job_name() -> None:
    (monitor,) = k8s_by_kind("ServiceMonitor").values()
    selector = monitor["spec"]["selector"]["matchLabels"]
    endpoint_ports = {e["port"] for e in monitor["spec"]["endpoints"]}
    scraped = {
        name
        for name, service in k8s_by_kind("Service").items()
        if selector.items() <= service["metadata"].get("labels", {}).items()
        and endpoint_ports & {p["name"] for p in service["spec"]["ports"]}
    }
    # The Prometheus Operator names the job after the Service: the same names as compose's.
    jobs = {job["job_name"] for job in yaml.safe_load(SCRAPE_CONFIG.read_text())["scrape_configs"]}
    assert scraped == jobs
