"""Write deploy/k8s/base/prometheusrule.yaml from deploy/prometheus/alerts.yml.

The alerts have one source: alerts.yml (which compose's Prometheus loads and
alerts_test.yml tests). The Prometheus Operator reads rules only from a PrometheusRule
object, so this script wraps the same groups in one; tests/deploy fails when the committed
file is not what this script writes.

    python deploy/k8s/generate_prometheusrule.py           # rewrite the file
    python deploy/k8s/generate_prometheusrule.py --check   # exit 1 if it is stale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Final

import yaml

HERE: Final = Path(__file__).resolve().parent
ALERTS: Final = HERE.parent / "prometheus" / "alerts.yml"
OUTPUT: Final = HERE / "base" / "prometheusrule.yaml"

HEADER: Final = """\
# GENERATED from deploy/prometheus/alerts.yml by deploy/k8s/generate_prometheusrule.py:
# edit alerts.yml, then run the script (tests/deploy fails when this file is stale).
# The Prometheus Operator loads PrometheusRules its Prometheus's ruleSelector matches:
# an overlay adds the label it expects (see overlays/example/prometheusrule-label.yaml).
"""


class _Dumper(yaml.SafeDumper):
    """Block style that yamllint's defaults accept: sequences indented under their key,
    multi-line PromQL as `|` blocks (readable, and a diff shows the changed line)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _string)


def prometheus_rule(alerts_text: str) -> dict[str, Any]:
    """The PrometheusRule object holding exactly the groups of alerts.yml."""
    groups = yaml.safe_load(alerts_text)["groups"]
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "caliper-pipeline"},
        "spec": {"groups": groups},
    }


def render(alerts_text: str) -> str:
    body = yaml.dump(prometheus_rule(alerts_text), Dumper=_Dumper, sort_keys=False, width=1000)
    return HEADER + body


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args(argv)
    wanted = render(ALERTS.read_text())
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_text() != wanted:
            print(f"{OUTPUT} is stale: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
