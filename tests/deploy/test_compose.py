"""deploy/compose.yml: valid against the Compose Specification's schema (the copy that
check-jsonschema ships, so offline) and wired together as intended."""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

import jsonschema

from tests.deploy.manifests import (
    COMPOSE,
    DEPLOY,
    REPO_ROOT,
    compose_environment,
    interpolate,
    load_compose,
)


def _compose_schema() -> dict[str, Any]:
    vendored = resources.files("check_jsonschema") / "builtin_schemas/vendor/compose-spec.json"
    schema: dict[str, Any] = json.loads(vendored.read_text())
    return schema


def test_matches_the_compose_specification() -> None:
    validator = jsonschema.Draft202012Validator(_compose_schema())
    errors = [
        f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(load_compose())
    ]
    assert not errors, "\n".join(errors)


def test_the_pipeline_and_its_infrastructure_are_there() -> None:
    services = load_compose()["services"]
    assert set(services) >= {
        "kafka",
        "kafka-init",
        "postgres",
        "ingest",
        "aggregator",
        "oneroster-dev",
        "oneroster-writer",
        "prometheus",
        "grafana",
    }
    # Official Apache Kafka image, KRaft (no ZooKeeper anywhere).
    kafka = services["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert not any("zookeeper" in name for name in services)


def test_depends_on_and_mounts_point_at_things_that_exist() -> None:
    document = load_compose()
    services = document["services"]
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (COMPOSE.parent / source).exists(), f"{name}: {source} missing"
            else:
                assert source in document["volumes"], f"{name}: volume {source} undeclared"
        build = service.get("build")
        if build:
            assert (COMPOSE.parent / build["context"] / build["dockerfile"]).is_file()


def test_our_processes_run_one_image_built_from_deploy_dockerfile() -> None:
    services = load_compose()["services"]
    ours = {n: s for n, s in services.items() if s.get("image", "").startswith("caliper-pipeline")}
    assert len({s["image"] for s in ours.values()}) == 1
    for service in ours.values():
        context = (COMPOSE.parent / service["build"]["context"]).resolve()
        assert context == REPO_ROOT
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"


def test_the_writer_uses_the_dev_oneroster_unless_configured() -> None:
    services = load_compose()["services"]
    raw = services["oneroster-writer"]["environment"]["CALIPER_ONEROSTER_BASE_URL"]
    assert raw.startswith("${CALIPER_ONEROSTER_BASE_URL:-"), "must be overridable"
    port = services["oneroster-dev"]["command"][-1]
    assert interpolate(raw) == f"http://oneroster-dev:{port}"


def test_topics_are_created_with_the_partitions_the_processes_expect() -> None:
    services = load_compose()["services"]
    script = "\n".join(services["kafka-init"]["command"])
    created = {m[0]: int(m[1]) for m in re.findall(r"^create (\S+) (\d+)", script, re.M)}
    ingest = compose_environment(services["ingest"])
    aggregator = compose_environment(services["aggregator"])
    writer = compose_environment(services["oneroster-writer"])
    assert created["caliper.events"] == int(ingest["CALIPER_EVENTS_PARTITIONS"])
    assert created["caliper.events"] == int(aggregator["CALIPER_AGGREGATOR_EVENTS_PARTITIONS"])
    assert created["caliper.events.rejected"] == int(ingest["CALIPER_REJECTED_PARTITIONS"])
    assert created["timeback.facts"] == int(aggregator["CALIPER_AGGREGATOR_FACTS_PARTITIONS"])
    assert created["timeback.facts.daily"] == int(aggregator["CALIPER_AGGREGATOR_DAILY_PARTITIONS"])
    assert created["oneroster.results.dlq"] == int(writer["CALIPER_ONEROSTER_DLQ_PARTITIONS"])
    assert "create timeback.facts.daily 12 --config cleanup.policy=compact" in script
    # Nothing may appear by accident with the broker's default partition count.
    kafka = services["kafka"]["environment"]
    assert kafka["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"


def test_prometheus_and_grafana_get_our_files() -> None:
    services = load_compose()["services"]
    prometheus = " ".join(services["prometheus"]["volumes"])
    assert "./prometheus/prometheus.yml:" in prometheus
    assert "./prometheus/alerts.yml:" in prometheus
    grafana = " ".join(services["grafana"]["volumes"])
    assert "./grafana/provisioning:" in grafana
    assert "./grafana/dashboards:" in grafana
    assert (DEPLOY / "grafana/provisioning/datasources/prometheus.yml").is_file()
