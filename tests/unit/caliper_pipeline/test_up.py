"""`up`'s settings: read once, the consumers pointed at what `up` starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from caliper_pipeline.up import UpConfig
from consumers.aggregator.sqlite_store import SqliteStore
from consumers.aggregator.store_factory import open_store
from ingest.settings import Settings


def test_the_store_is_the_data_dir_file_as_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALIPER_DATA_DIR", str(tmp_path / "data"))
    config = UpConfig.from_environment(Settings())
    settings = config.aggregator_on()
    store = open_store(settings.store_url.get_secret_value())
    assert isinstance(store, SqliteStore)
    # The path the banner prints is the path the store opens (no doubled slash).
    assert store.path == str(config.store_path) == str(tmp_path / "data" / "aggregator.sqlite3")
    assert settings.broker_run_id.startswith("up-")
    assert config.door.host == "127.0.0.1"


def test_a_configured_store_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALIPER_AGGREGATOR_STORE_URL", "postgresql://postgres@127.0.0.1/test")
    config = UpConfig.from_environment(Settings())
    store_url = config.aggregator_on().store_url.get_secret_value()
    assert store_url == "postgresql://postgres@127.0.0.1/test"
    # Read once: changing the environment afterwards changes nothing.
    monkeypatch.setenv("CALIPER_AGGREGATOR_STORE_URL", "sqlite:///elsewhere.db")
    assert config.aggregator_on().store_url.get_secret_value() == store_url
