"""Read deploy/: the compose file, the kustomize base, the settings classes and metric names.

Everything is derived from the code (settings classes, metrics classes), so the checks
follow the processes as they change instead of a list copied here.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml
from prometheus_client import CollectorRegistry
from pydantic_settings import BaseSettings

from consumers.aggregator.metrics import AggregatorMetrics
from consumers.aggregator.settings import AggregatorSettings
from consumers.analytics.metrics import AnalyticsMetrics
from consumers.analytics.settings import AnalyticsSettings
from consumers.oneroster.metrics import WriterMetrics
from consumers.oneroster.settings import WriterSettings
from ingest.metrics import Metrics
from ingest.settings import Settings
from tests.deploy.kustomize import render

REPO_ROOT: Final = Path(__file__).resolve().parents[2]
DEPLOY: Final = REPO_ROOT / "deploy"
COMPOSE: Final = DEPLOY / "compose.yml"
K8S: Final = DEPLOY / "k8s"
K8S_BASE: Final = K8S / "base"
K8S_OVERLAY: Final = K8S / "overlays" / "example"
# What `kubectl apply -k` gets from each kustomization this repository ships.
KUSTOMIZATIONS: Final = {"base": K8S_BASE, "example overlay": K8S_OVERLAY}
PROMETHEUS: Final = DEPLOY / "prometheus"
ALERTS: Final = PROMETHEUS / "alerts.yml"
ALERT_TESTS: Final = PROMETHEUS / "alerts_test.yml"
SCRAPE_CONFIG: Final = PROMETHEUS / "prometheus.yml"
DASHBOARD: Final = DEPLOY / "grafana" / "dashboards" / "caliper-pipeline.json"

# Variables of ours that are not settings: read by the image's HEALTHCHECK.
NON_SETTINGS_VARIABLES: Final = frozenset({"HEALTHCHECK_URL"})

# Metrics the dashboard and alerts use that no process exports yet (the lead adds them;
# see the report). test_dashboard fails once one exists, so the list cannot go stale.
PENDING_METRICS: Final[frozenset[str]] = frozenset()


@dataclass(frozen=True)
class Process:
    """One of our processes: how it is started and which settings class it reads."""

    command: str
    settings: type[BaseSettings]
    # A second settings class it reads too (analytics: the front door's CALIPER_AUTH_*).
    also: type[BaseSettings] | None = None

    @property
    def prefix(self) -> str:
        prefix = self.settings.model_config.get("env_prefix")
        assert isinstance(prefix, str)
        return prefix


INGEST: Final = Process("serve", Settings)
AGGREGATOR: Final = Process("aggregate", AggregatorSettings)
WRITER: Final = Process("results", WriterSettings)
ANALYTICS: Final = Process("analytics", AnalyticsSettings, also=Settings)


def process_of(command: list[str]) -> Process | None:
    """The process a container command starts; None for the dev server (no settings)."""
    if command[:1] == ["caliper-pipeline"]:
        return {p.command: p for p in (INGEST, AGGREGATOR, WRITER, ANALYTICS)}[command[1]]
    if command[:3] == ["python", "-m", "caliper_pipeline.dev.oneroster"]:
        return None
    raise AssertionError(f"unknown command {command}")


def required_variables(process: Process) -> set[str]:
    return {
        process.prefix + name.upper()
        for name, field in process.settings.model_fields.items()
        if field.is_required()
    }


_INTERPOLATION: Final = re.compile(r"\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}")


def interpolate(value: str) -> str:
    """Compose's `${VAR:-default}` with nothing exported: the default (as `up` would)."""
    return _INTERPOLATION.sub(lambda m: m.group(2) or "", value)


def load_compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(document, dict)
    return document


def compose_environment(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment", {})
    assert isinstance(environment, dict), "environment as a mapping, not a list"
    return {str(k): interpolate(str(v)) for k, v in environment.items()}


@functools.cache
def _rendered(root: Path) -> tuple[dict[str, Any], ...]:
    return tuple(render(root))


def k8s_documents(root: Path = K8S_BASE) -> list[dict[str, Any]]:
    """Every object a kustomization renders to (a copy: tests may change it)."""
    return copy.deepcopy(list(_rendered(root)))


def k8s_by_kind(kind: str, root: Path = K8S_BASE) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in k8s_documents(root) if d["kind"] == kind}


def container_environment(container: dict[str, Any], root: Path = K8S_BASE) -> dict[str, str]:
    """The variables a container gets: envFrom ConfigMaps and Secrets, then env."""
    config_maps, secrets = k8s_by_kind("ConfigMap", root), k8s_by_kind("Secret", root)
    environment: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            environment.update(config_maps[source["configMapRef"]["name"]].get("data", {}))
        else:
            environment.update(secrets[source["secretRef"]["name"]].get("stringData", {}))
    for entry in container.get("env", []):
        environment[entry["name"]] = str(entry.get("value", ""))
    return environment


def exported_metric_names() -> set[str]:
    """Sample names (`_total`, `_bucket`...) every metrics class registers today."""
    registry = CollectorRegistry()
    Metrics(registry)
    AggregatorMetrics(registry)
    WriterMetrics(registry)
    AnalyticsMetrics(registry)
    names: set[str] = set()
    for family in registry.collect():
        suffixes = {
            "counter": ("_total",),
            "histogram": ("_bucket", "_sum", "_count"),
            "gauge": ("",),
        }.get(family.type, ("",))
        names.update(family.name + suffix for suffix in suffixes)
    return names


def metric_names_in(expression: str) -> set[str]:
    return set(re.findall(r"\bcaliper_[a-z0-9_]+", expression))


def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(ALERTS.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def dashboard_targets() -> list[tuple[str, str]]:
    """(panel title, PromQL) for every query of every panel."""
    dashboard = json.loads(DASHBOARD.read_text())
    return [
        (panel["title"], target["expr"])
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]


def dashboard_variables() -> dict[str, dict[str, Any]]:
    """The dashboard's template variables by name."""
    dashboard = json.loads(DASHBOARD.read_text())
    return {v["name"]: v for v in dashboard["templating"]["list"]}


def dashboard_query(expression: str, rate_interval: str) -> str:
    """A panel's PromQL as Grafana sends it with every query variable on "All"."""
    query = expression.replace("$__rate_interval", rate_interval)
    for name, variable in dashboard_variables().items():
        if variable["type"] == "query":
            query = query.replace(f"${name}", variable["allValue"])
    assert "$" not in query, f"a variable left in {query}"
    return query
