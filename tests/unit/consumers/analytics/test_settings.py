"""docs/analytics.md lists every setting; the facts command prints a readable table."""

from __future__ import annotations

import re

from caliper_pipeline.commands.facts import table
from consumers.analytics.settings import AnalyticsSettings
from tests.conftest import REPO_ROOT


def test_docs_list_every_setting() -> None:
    text = (REPO_ROOT / "docs" / "analytics.md").read_text(encoding="utf-8")
    section = text.split("## Settings", 1)[1].split("\n\n", 2)[1]
    listed = {
        name
        for row in section.splitlines()
        for name in re.findall(r"`([A-Z_]+)`", row.split("|")[1])
    }
    assert listed == {name.upper() for name in AnalyticsSettings.model_fields}


def test_facts_table_has_a_line_per_date_subject_and_app() -> None:
    metrics = {
        "activityMetrics": {"xpEarned": 7.5, "totalQuestions": 8, "correctQuestions": 6,
                            "masteredUnits": 0},
        "timeSpentMetrics": {"activeSeconds": 60, "inactiveSeconds": 0, "wasteSeconds": 0,
                             "unknownSeconds": 0, "antiPatternSeconds": 0},
    }  # fmt: skip
    answer = {
        "studentId": "stu-1", "email": None, "startDate": "2026-03-02", "endDate": "2026-03-03",
        "timezone": "Asia/Tokyo",
        "facts": {"2026-03-03": {"Math": {**metrics, "apps": {"App A": metrics, "": metrics}}}},
    }  # fmt: skip
    lines = table(answer).splitlines()
    assert lines[0] == "stu-1: 2026-03-02 .. 2026-03-03 (Asia/Tokyo)"
    assert lines[1].split()[:4] == ["date", "subject", "app", "xpEarned"]
    assert [line.split()[:4] for line in lines[2:]] == [
        ["2026-03-03", "Math", "App", "A"],
        ["2026-03-03", "Math", "-", "7.5"],
    ]
    empty = {**answer, "facts": {}}
    assert table(empty).splitlines()[1] == "no facts in this range"
