"""deploy/grafana: the dashboard's structure and the metrics its queries and the alerts name.

test_live_prometheus runs every query against real metrics; here, without a pipeline.
"""

from __future__ import annotations

import json
import re

import yaml

from tests.deploy.manifests import (
    DASHBOARD,
    DEPLOY,
    PENDING_METRICS,
    alert_rules,
    dashboard_targets,
    dashboard_variables,
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


def test_panels_name_no_datasource_uid_but_the_datasource_variable() -> None:
    # Imported into any Grafana, the dashboard asks which Prometheus to use.
    variable = dashboard_variables()["datasource"]
    assert (variable["type"], variable["query"]) == ("datasource", "prometheus")
    by_variable = {"type": "prometheus", "uid": "${datasource}"}
    panels = _dashboard()["panels"]
    assert isinstance(panels, list)
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    for panel in panels:
        if panel["type"] != "row":
            assert panel["datasource"] == by_variable, panel["title"]
            assert panel["targets"], panel["title"]
            for target in panel["targets"]:
                assert target["datasource"] == by_variable, panel["title"]
    provisioned = yaml.safe_load(
        (DEPLOY / "grafana/provisioning/datasources/prometheus.yml").read_text()
    )
    assert provisioned["datasources"][0]["uid"] not in DASHBOARD.read_text()


_SELECTOR = re.compile(r"\b(caliper_[a-z0-9_]+|up)\b(\{[^}]*\})?")


def test_every_query_selects_by_the_job_and_namespace_variables() -> None:
    variables = dashboard_variables()
    for name in ("job", "namespace"):
        assert variables[name]["type"] == "query", name
        assert variables[name]["includeAll"], name
        assert variables[name]["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
    # "All" means our jobs only, and series without a namespace label too (compose).
    assert variables["job"]["allValue"] == "caliper-.*"
    assert variables["namespace"]["allValue"] == ".*"
    for title, expression in dashboard_targets():
        selectors = _SELECTOR.findall(expression)
        assert selectors, title
        for metric, matchers in selectors:
            assert 'job=~"$job"' in matchers, f"{title}: {metric} not filtered by $job"
            assert 'namespace=~"$namespace"' in matchers, f"{title}: {metric} by $namespace"


def test_the_dlq_size_is_not_added_up_over_writer_replicas() -> None:
    # Every writer replica reports the whole DLQ topic's size.
    queries = [e for _, e in dashboard_targets() if "caliper_oneroster_dlq_records" in e]
    assert queries
    for query in queries:
        assert re.match(r"max( by \([a-z, ]+\))? \(caliper_oneroster_dlq_records\{", query), query


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
