"""promtool on deploy/prometheus: config and rules check, and the rules' unit tests."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml

from tests.deploy.conftest import PrometheusTools
from tests.deploy.manifests import (
    ALERT_TESTS,
    ALERTS,
    PROMETHEUS,
    REPO_ROOT,
    SCRAPE_CONFIG,
    alert_rules,
)

# What the issue asks alerts for, each by the name that carries it.
REQUIRED_ALERTS = {
    "CaliperRejectRateHigh",
    "CaliperServerErrorsHigh",
    "CaliperConsumerLagGrowing",
    "CaliperEndToEndLatencyHigh",
    "CaliperDeadLettersGrowing",
    "CaliperEventsFarBelowLastWeek",
    "CaliperProducerBufferHigh",
    "CaliperConsumerStalled",
    "CaliperAggregatorBatchesFailing",
}
OPERATE = REPO_ROOT / "docs" / "operate.md"


def _promtool(tools: PrometheusTools, *args: str) -> str:
    done = subprocess.run(
        [str(tools.promtool), *args],
        cwd=PROMETHEUS,
        capture_output=True,
        text=True,
        # The rule tests evaluate 172 h at 1 m steps: 40-80 s of CPU on this machine kind.
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.timeout(660)  # the first use may install Prometheus from Debian
def test_promtool_check_rules(prometheus_tools: PrometheusTools) -> None:
    output = _promtool(prometheus_tools, "check", "rules", str(ALERTS))
    assert f"SUCCESS: {len(alert_rules())} rules found" in output


@pytest.mark.timeout(660)
def test_promtool_check_config(prometheus_tools: PrometheusTools) -> None:
    _promtool(prometheus_tools, "check", "config", str(SCRAPE_CONFIG))


@pytest.mark.timeout(660)
def test_promtool_test_rules(prometheus_tools: PrometheusTools) -> None:
    assert "SUCCESS" in _promtool(prometheus_tools, "test", "rules", str(ALERT_TESTS))


def test_the_alerts_the_issue_asks_for_exist_with_severity_and_summary() -> None:
    rules = {rule["alert"]: rule for rule in alert_rules()}
    assert set(rules) >= REQUIRED_ALERTS
    for name, rule in rules.items():
        assert rule["labels"]["severity"] in {"warning", "critical"}, name
        assert rule["annotations"]["summary"], name


def test_every_alert_has_a_unit_test_that_fires_it_and_one_that_does_not() -> None:
    tests = yaml.safe_load(ALERT_TESTS.read_text())["tests"]
    fired: set[str] = set()
    quiet: set[str] = set()
    for test in tests:
        for case in test.get("alert_rule_test", []):
            (fired if case["exp_alerts"] else quiet).add(case["alertname"])
    names = {rule["alert"] for rule in alert_rules()}
    assert names <= fired, f"never shown firing: {sorted(names - fired)}"
    assert names <= quiet, f"never shown quiet: {sorted(names - quiet)}"


def _anchors(markdown: str) -> dict[str, str]:
    """GitHub's heading anchors (lower case, punctuation dropped, spaces to hyphens),
    each with the text of its section."""
    sections: dict[str, str] = {}
    anchor = None
    for line in markdown.splitlines():
        heading = re.match(r"#{1,6} (.+)", line)
        if heading:
            anchor = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-")
            sections[anchor] = ""
        elif anchor is not None:
            sections[anchor] += line + "\n"
    return sections


def test_every_alert_links_a_runbook_section_of_operate_md() -> None:
    sections = _anchors(OPERATE.read_text())
    for rule in alert_rules():
        url = rule["annotations"].get("runbook_url", "")
        path, _, anchor = url.partition("#")
        assert path == "docs/operate.md", f"{rule['alert']}: runbook_url {url!r}"
        assert anchor == rule["alert"].lower(), f"{rule['alert']}: anchor {anchor!r}"
        assert anchor in sections, f"{rule['alert']}: no section #{anchor} in docs/operate.md"
        # A runbook says what it means and what to do, not just the name.
        assert len(sections[anchor].split()) >= 25, f"{rule['alert']}: runbook too short"
