"""The relational layout's column names, shared by the stores, the migrations and readers.

Both stores (SQLite, PostgreSQL) hold the same tables with the same columns; only the
types differ (SQLite keeps exact decimals as text, PostgreSQL as `numeric`).
"""

from __future__ import annotations

from typing import Final

from consumers.aggregator.facts import METRIC_NAMES

# Fact metric name -> column (in consumers.aggregator.facts.METRIC_NAMES order).
METRIC_COLUMNS: Final[dict[str, str]] = {
    "xpEarned": "xp_earned",
    "totalQuestions": "total_questions",
    "correctQuestions": "correct_questions",
    "masteredUnits": "mastered_units",
    "activeSeconds": "active_seconds",
    "inactiveSeconds": "inactive_seconds",
    "wasteSeconds": "waste_seconds",
    "unknownSeconds": "unknown_seconds",
    "antiPatternSeconds": "anti_pattern_seconds",
}
assert tuple(METRIC_COLUMNS) == METRIC_NAMES

METRICS: Final[tuple[str, ...]] = tuple(METRIC_COLUMNS.values())

# One row per counted Timeback event, in table order.
FACT_COLUMNS: Final[tuple[str, ...]] = (
    "event_id",
    "event_type",
    "event_time",
    "event_time_utc",
    "date_utc",
    "student_id",
    "student_sourced_id",
    "email",
    "subject",
    "app",
    "course_id",
    "course_name",
    "activity_id",
    "activity_name",
    *METRICS,
    "waste_by_sub_type",
)

DAILY_KEY_COLUMNS: Final[tuple[str, ...]] = (
    "student_id",
    "date_utc",
    "subject",
    "app",
    "course_key",
)
# One row per daily key, in table order.
DAILY_COLUMNS: Final[tuple[str, ...]] = (
    *DAILY_KEY_COLUMNS,
    "student_sourced_id",
    "email",
    "course_id",
    "course_name",
    "events",
    *METRICS,
    "waste_by_sub_type",
)
