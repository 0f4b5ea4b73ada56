"""The settings table in docs/front-door.md lists exactly the settings the code reads."""

from __future__ import annotations

import re

from caliper_pipeline.dev.settings import DevSettings
from ingest.settings import ENV_PREFIX, Settings
from tests.conftest import REPO_ROOT
from tests.settings_tables import setting_names


def test_readme_lists_every_setting() -> None:
    readme = (REPO_ROOT / "docs" / "front-door.md").read_text(encoding="utf-8")
    listed = set(re.findall(rf"^\| `({ENV_PREFIX}[A-Z0-9_]+)` \|", readme, flags=re.M))
    expected = setting_names(ENV_PREFIX, Settings, DevSettings)
    assert listed == expected


def test_settings_come_from_the_environment(monkeypatch: object) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setenv("CALIPER_EVENTS_PARTITIONS", "7")
    assert Settings().events_partitions == 7
