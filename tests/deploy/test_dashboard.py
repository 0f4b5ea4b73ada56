"""deploy/grafana: the dashboard's structure and the metrics its queries and the alerts name.

test_live_prometheus runs every query against real metrics; here, without a pipeline.
"""

from __future__ import annotations

import json

import yaml

from tests.deploy.manifests import (
    DASHBOARD,
    DEPLOY,
    PENDING_METRICS,
    alert_rules,
    dashboard_targets,
    exported_metric_names,
    metric_names_in,
)


def _dashboard() -> dict[str, object]:
    document: dict[str, object] = json.loads(DASHBOARD.read_text())
    return document


def test_rows_for_front_door_kafka_consumers_and_oneroster() -> None:
    panels = _dashboard()["panels"]
    assert isinstance(panels, list)
    rows = [p["title"] for p in panels if p["type"] == "row"]
    assert rows == ["Front door", "Kafka and consumers", "OneRoster"]


def test_panels_use_the_provisioned_datasource_and_unique_ids() -> None:
    provisioned = yaml.safe_load(
        (DEPLOY / "grafana/provisioning/datasources/prometheus.yml").read_text()
    )
    uid = provisioned["datasources"][0]["uid"]
    panels = _dashboard()["panels"]
    assert isinstance(panels, list)
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    for panel in panels:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == uid, panel["title"]
            assert panel["targets"], panel["title"]


def test_dashboard_provider_points_where_compose_mounts_the_dashboards() -> None:
    provider = yaml.safe_load((DEPLOY / "grafana/provisioning/dashboards/caliper.yml").read_text())
    compose = yaml.safe_load((DEPLOY / "compose.yml").read_text())
    mounts = compose["services"]["grafana"]["volumes"]
    path = provider["providers"][0]["options"]["path"]
    assert any(m.split(":")[1] == path for m in mounts)


def test_every_metric_named_exists_in_the_code_or_is_listed_as_pending() -> None:
    exported = exported_metric_names()
    expressions = [expr for _, expr in dashboard_targets()] + [r["expr"] for r in alert_rules()]
    named = set().union(*(metric_names_in(e) for e in expressions))
    unknown = named - exported - PENDING_METRICS
    assert not unknown, f"neither exported nor pending: {sorted(unknown)}"


def test_pending_metrics_are_still_missing() -> None:
    # Once a process exports one, take it off PENDING_METRICS: its panel must then show data.
    assert not PENDING_METRICS & exported_metric_names()
