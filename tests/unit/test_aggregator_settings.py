"""Settings, metrics labels and store selection (no I/O)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from consumers.aggregator.command import add_arguments, settings_from
from consumers.aggregator.metrics import AggregatorMetrics
from consumers.aggregator.settings import AggregatorSettings, redact_url
from consumers.aggregator.store import StoreError, store_kind


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
    readme = (Path(__file__).resolve().parents[2] / "docs" / "aggregator.md").read_text(
        encoding="utf-8"
    )
    table = readme.split("## Settings", 1)[1]
    listed = set(re.findall(r"`([A-Z0-9_]+)`", table))
    assert {name.upper() for name in AggregatorSettings.model_fields} <= listed
