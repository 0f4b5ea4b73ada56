"""Settings, metrics labels and store selection (no I/O)."""

from __future__ import annotations

import argparse
import re

import pytest
from prometheus_client import CollectorRegistry

from caliper_pipeline.commands.aggregate import add_arguments, kafka_from, settings_from
from consumers.aggregator.metrics import AggregatorMetrics
from consumers.aggregator.settings import ENV_PREFIX, AggregatorSettings, redact_url
from consumers.aggregator.store import StoreError, store_kind
from tests.conftest import REPO_ROOT
from tests.settings_tables import setting_names


def test_env_prefix_and_secret_store_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALIPER_AGGREGATOR_STORE_URL", "postgresql://u:hunter2@db/x")
    monkeypatch.setenv("CALIPER_AGGREGATOR_BATCH_SIZE", "500")
    settings = AggregatorSettings()
    assert settings.batch_size == 500
    dump = settings.redacted()
    assert dump["store_url"] == "postgresql://u:**********@db/x"
    assert "hunter2" not in repr(dump)


def test_redact_url_without_password() -> None:
    assert redact_url("sqlite:///tmp/a.db") == "sqlite:///tmp/a.db"


def test_command_line_overrides() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    settings = settings_from(
        parser.parse_args(["--store", "sqlite:///tmp/x.db", "--group-id", "g"])
    )
    assert settings.store_url.get_secret_value() == "sqlite:///tmp/x.db"
    assert settings.group_id == "g"
    kafka = kafka_from(parser.parse_args(["--bootstrap-servers", "k1:9092,k2:9092"]))
    assert kafka.client_options()["bootstrap_servers"] == "k1:9092,k2:9092"


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("sqlite:///tmp/a.db", "sqlite"),
        ("postgresql://postgres@127.0.0.1/test", "postgresql"),
        ("postgres://h/d", "postgresql"),
    ],
)
def test_store_kind(url: str, kind: str) -> None:
    assert store_kind(url) == kind


def test_unknown_store_scheme() -> None:
    with pytest.raises(StoreError):
        store_kind("mysql://x")


def test_event_type_labels_are_bounded() -> None:
    metrics = AggregatorMetrics(CollectorRegistry())
    labels = {metrics.event_type_label(f"T{i}Event") for i in range(200)}
    assert len(labels) == 65
    assert "other" in labels


def test_docs_list_every_aggregator_setting() -> None:
    readme = (REPO_ROOT / "docs" / "aggregator.md").read_text(encoding="utf-8")
    table = readme.split("## Settings", 1)[1]
    listed = {f"{ENV_PREFIX}{name}" for name in re.findall(r"`([A-Z0-9_]+)`", table)}
    assert setting_names(ENV_PREFIX, AggregatorSettings) <= listed
