"""`up`'s settings: read once; each child's environment points it at what `up` starts."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from caliper_pipeline.child_metrics import MULTIPROC_ENV
from caliper_pipeline.dev.oneroster import DevServer
from caliper_pipeline.up import (
    AGGREGATOR,
    ANALYTICS,
    FRONT_DOOR,
    KILL_GRACE_S,
    WRITER,
    UpConfig,
    up_children,
)
from consumers.aggregator.settings import AggregatorSettings
from consumers.aggregator.sqlite_store import SqliteStore
from consumers.aggregator.store_factory import open_store
from consumers.analytics.settings import AnalyticsSettings
from consumers.oneroster.settings import WriterSettings
from ingest.settings import Settings

BROKER = "127.0.0.1:39092"


def read_as_child(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """The environment a child starts with, for settings classes to read."""
    for key in list(os.environ):
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)


def test_the_store_is_the_data_dir_file_as_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALIPER_DATA_DIR", str(tmp_path / "data"))
    config = UpConfig.from_environment(Settings())
    env = config.aggregator_env(BROKER, tmp_path / "metrics")
    read_as_child(monkeypatch, env)
    settings = AggregatorSettings()
    store = open_store(settings.store_url.get_secret_value())
    assert isinstance(store, SqliteStore)
    # The path the banner prints is the path the store opens (no doubled slash).
    assert store.path == str(config.store_path) == str(tmp_path / "data" / "aggregator.sqlite3")
    assert settings.broker_run_id.startswith("up-")
    assert config.door.host == "127.0.0.1"


def test_analytics_reads_the_store_the_aggregator_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALIPER_DATA_DIR", str(tmp_path / "data"))
    config = UpConfig.from_environment(Settings())
    read_as_child(monkeypatch, config.analytics_env())
    assert AnalyticsSettings().store_url.get_secret_value() == f"sqlite://{config.store_path}"
    # A configured aggregator store (and its schema) is the one analytics reads.
    monkeypatch.delenv("CALIPER_ANALYTICS_STORE_URL")
    monkeypatch.setenv("CALIPER_AGGREGATOR_STORE_URL", "postgresql://postgres@127.0.0.1/test")
    monkeypatch.setenv("CALIPER_AGGREGATOR_STORE_SCHEMA", "facts_here")
    config = UpConfig.from_environment(Settings())
    read_as_child(monkeypatch, config.analytics_env())
    settings = AnalyticsSettings()
    assert settings.store_url.get_secret_value() == "postgresql://postgres@127.0.0.1/test"
    assert settings.store_schema == "facts_here"


def test_each_start_names_a_new_broker_run(tmp_path: Path) -> None:
    config = UpConfig.from_environment(Settings())
    first = config.aggregator_env(BROKER, tmp_path)["CALIPER_AGGREGATOR_BROKER_RUN_ID"]
    again = config.aggregator_env(BROKER, tmp_path)["CALIPER_AGGREGATOR_BROKER_RUN_ID"]
    assert first != again


def test_a_configured_store_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALIPER_AGGREGATOR_STORE_URL", "postgresql://postgres@127.0.0.1/test")
    config = UpConfig.from_environment(Settings())
    store_url = config.aggregator_env(BROKER, tmp_path)["CALIPER_AGGREGATOR_STORE_URL"]
    assert store_url == "postgresql://postgres@127.0.0.1/test"
    # Read once: changing the environment afterwards changes nothing.
    monkeypatch.setenv("CALIPER_AGGREGATOR_STORE_URL", "sqlite:///elsewhere.db")
    env = config.aggregator_env(BROKER, tmp_path)
    assert env["CALIPER_AGGREGATOR_STORE_URL"] == store_url


def test_every_child_talks_to_the_embedded_broker_plainly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Connection settings meant for a real Kafka would break the embedded one.
    for prefix in ("CALIPER_", "CALIPER_AGGREGATOR_", "CALIPER_ONEROSTER_"):
        monkeypatch.setenv(f"{prefix}KAFKA_BOOTSTRAP_SERVERS", "kafka.example:9093")
        monkeypatch.setenv(f"{prefix}KAFKA_SECURITY_PROTOCOL", "SSL")
    monkeypatch.setenv("CALIPER_KAFKA_PORT", "0")  # `up`'s own setting, kept
    monkeypatch.setenv("CALIPER_MAX_EVENTS", "50")  # anything else is passed on
    config = UpConfig.from_environment(Settings())
    envs = {
        "CALIPER_": config.front_door_env(BROKER),
        "CALIPER_AGGREGATOR_": config.aggregator_env(BROKER, tmp_path),
        "CALIPER_ONEROSTER_": config.writer_env(BROKER, tmp_path, None),
    }
    for prefix, env in envs.items():
        assert env[f"{prefix}KAFKA_BOOTSTRAP_SERVERS"] == BROKER
        assert not any(key.endswith("KAFKA_SECURITY_PROTOCOL") for key in env)
        assert env["CALIPER_KAFKA_PORT"] == "0"
        assert env["CALIPER_MAX_EVENTS"] == "50"


def test_the_front_door_child_serves_where_up_was_told(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALIPER_HOST", "0.0.0.0")
    monkeypatch.setenv(MULTIPROC_ENV, "/somewhere")
    config = UpConfig.from_environment(Settings().model_copy(update={"port": 8181}))
    read_as_child(monkeypatch, config.front_door_env(BROKER))
    settings = Settings()
    assert (settings.host, settings.port) == ("127.0.0.1", 8181)
    # Its own metrics stay in memory: only the consumers write metric files.
    assert MULTIPROC_ENV not in config.front_door_env(BROKER)


def test_the_topics_get_up_partitions_unless_set_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALIPER_UP_PARTITIONS", "3")
    monkeypatch.setenv("CALIPER_AGGREGATOR_FACTS_PARTITIONS", "7")  # set apart: kept
    config = UpConfig.from_environment(Settings())
    read_as_child(monkeypatch, config.front_door_env(BROKER))
    door = Settings()
    assert (door.events_partitions, door.rejected_partitions) == (3, 3)
    read_as_child(monkeypatch, config.aggregator_env(BROKER, tmp_path))
    aggregator = AggregatorSettings()
    assert (aggregator.events_partitions, aggregator.daily_partitions) == (3, 3)
    assert aggregator.facts_partitions == 7


def test_up_partitions_default_to_one(monkeypatch: pytest.MonkeyPatch) -> None:
    read_as_child(monkeypatch, {})
    assert Settings().events_partitions == 12  # the front door's own default (deploy/)
    config = UpConfig.from_environment(Settings())
    read_as_child(monkeypatch, config.front_door_env(BROKER))
    assert Settings().events_partitions == 1


def test_the_front_door_lingers_up_linger_ms_unless_set_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read_as_child(monkeypatch, {})
    assert Settings().kafka_linger_ms == 0  # its own default (deploy/)
    config = UpConfig.from_environment(Settings())
    read_as_child(monkeypatch, config.front_door_env(BROKER))
    assert Settings().kafka_linger_ms == 5

    read_as_child(monkeypatch, {"CALIPER_UP_LINGER_MS": "2"})
    config = UpConfig.from_environment(Settings())
    read_as_child(monkeypatch, config.front_door_env(BROKER))
    assert Settings().kafka_linger_ms == 2

    read_as_child(monkeypatch, {"CALIPER_UP_LINGER_MS": "2", "CALIPER_KAFKA_LINGER_MS": "0"})
    config = UpConfig.from_environment(Settings())
    read_as_child(monkeypatch, config.front_door_env(BROKER))
    assert Settings().kafka_linger_ms == 0  # set apart: kept


def test_the_consumers_idle_up_idle_between_polls_ms_unless_set_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read_as_child(monkeypatch, {})
    # Their own defaults (deploy/): poll again at once.
    assert AggregatorSettings().idle_between_polls_ms == WriterSettings().idle_between_polls_ms == 0
    config = UpConfig.from_environment(Settings())
    read_as_child(monkeypatch, config.aggregator_env(BROKER, tmp_path))
    assert AggregatorSettings().idle_between_polls_ms == 200
    read_as_child(monkeypatch, config.writer_env(BROKER, tmp_path, None))
    assert WriterSettings().idle_between_polls_ms == 200

    read_as_child(
        monkeypatch,
        {"CALIPER_UP_IDLE_BETWEEN_POLLS_MS": "50", "CALIPER_ONEROSTER_IDLE_BETWEEN_POLLS_MS": "0"},
    )
    config = UpConfig.from_environment(Settings())
    read_as_child(monkeypatch, config.aggregator_env(BROKER, tmp_path))
    assert AggregatorSettings().idle_between_polls_ms == 50
    read_as_child(monkeypatch, config.writer_env(BROKER, tmp_path, None))
    assert WriterSettings().idle_between_polls_ms == 0  # set apart: kept


def test_the_consumers_log_like_the_front_door_and_write_metric_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALIPER_LOG_FORMAT", "json")
    monkeypatch.setenv("CALIPER_LOG_LEVEL", "DEBUG")
    config = UpConfig.from_environment(Settings())
    for env in (config.aggregator_env(BROKER, tmp_path), config.writer_env(BROKER, tmp_path, None)):
        assert env[MULTIPROC_ENV] == str(tmp_path)
        assert {env[k] for k in env if k.endswith("_LOG_FORMAT")} == {"json"}
        assert {env[k] for k in env if k.endswith("_LOG_LEVEL")} == {"DEBUG"}


def test_the_writer_is_pointed_at_the_dev_server_unless_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dev = DevServer(port=18765)
    config = UpConfig.from_environment(Settings())
    read_as_child(monkeypatch, config.writer_env(BROKER, tmp_path, dev))
    settings = WriterSettings()
    assert settings.configured
    assert (settings.base_url, settings.token_url) == (dev.url, dev.token_url)
    assert settings.client_secret is not None
    assert settings.client_secret.get_secret_value() == dev.app.client_secret


def test_the_children_in_start_order_with_their_deadlines(tmp_path: Path) -> None:
    config = UpConfig.from_environment(Settings())
    children = up_children(config, BROKER, tmp_path, None)
    assert [child.name for child in children] == [FRONT_DOOR, AGGREGATOR, WRITER, ANALYTICS]
    assert all(child.spec.argv[:2] == [sys.executable, "-m"] for child in children)
    assert children[0].spec.argv[2:] == [
        "caliper_pipeline.up_front_door",
        "--child-metrics",
        str(tmp_path),
    ]
    assert [child.spec.argv[2:] for child in children[1:]] == [
        ["caliper_pipeline", "aggregate"],
        ["caliper_pipeline", "results"],
        ["caliper_pipeline", "analytics", "--local-issuer"],
    ]
    # The consumers yield the CPU to the front door (and the broker) under a burst.
    assert [child.spec.nice for child in children] == [0] + [config.dev.consumers_nice] * 3
    assert config.dev.consumers_nice == 19
    door_deadline = children[0].spec.shutdown_timeout_s
    assert door_deadline == config.door.shutdown_timeout_s + KILL_GRACE_S
    # The runtime never cancels a child that is still within its own deadline.
    assert config.drain_timeout_s > max(child.spec.shutdown_timeout_s for child in children)
