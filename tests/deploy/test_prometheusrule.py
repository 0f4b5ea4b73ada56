"""deploy/k8s/base/prometheusrule.yaml: the alerts of deploy/prometheus/alerts.yml, exactly.

One source of alerts: the PrometheusRule is generated from alerts.yml (which promtool
tests and compose's Prometheus loads), so the two can never drift. Its CRD schema is
checked with every other object in test_k8s_manifests.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from types import ModuleType

import yaml

from tests.deploy.manifests import ALERTS, K8S, K8S_BASE, KUSTOMIZATIONS, k8s_by_kind

GENERATOR = K8S / "generate_prometheusrule.py"
GENERATED = K8S_BASE / "prometheusrule.yaml"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_prometheusrule", GENERATOR)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_file_is_what_the_generator_writes() -> None:
    wanted = _generator().render(ALERTS.read_text())
    assert GENERATED.read_text() == wanted, (
        "stale: run python deploy/k8s/generate_prometheusrule.py"
    )


def test_the_generators_check_mode_agrees() -> None:
    done = subprocess.run(
        [sys.executable, str(GENERATOR), "--check"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_every_rendering_carries_exactly_the_groups_of_alerts_yml() -> None:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    assert groups, "alerts.yml has no groups"
    for rendering, root in KUSTOMIZATIONS.items():
        (rule,) = k8s_by_kind("PrometheusRule", root).values()
        assert rule["spec"]["groups"] == groups, rendering


def test_a_changed_alert_makes_the_file_stale() -> None:
    # The equality above is not vacuous: editing alerts.yml changes what is generated.
    changed = ALERTS.read_text().replace("> 0.10", "> 0.20", 1)
    assert changed != ALERTS.read_text()
    assert _generator().render(changed) != GENERATED.read_text()
