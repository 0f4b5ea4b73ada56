"""Facts and totals as table rows: exact decimal text, NULL for unsent metrics."""

from __future__ import annotations

from decimal import Decimal

import orjson

from consumers.aggregator.columns import DAILY_COLUMNS, FACT_COLUMNS, METRIC_COLUMNS
from consumers.aggregator.facts import METRIC_NAMES, Fact
from consumers.aggregator.folding import Totals
from consumers.aggregator.rows import daily_json, daily_row, fact_row, totals_of_row, waste_of

KEY = ("https://x.example/users/s1", "2026-02-10", "Math", "", "Algebra")


def test_metric_columns_follow_the_fact_metric_names() -> None:
    assert tuple(METRIC_COLUMNS) == METRIC_NAMES
    assert METRIC_COLUMNS["antiPatternSeconds"] == "anti_pattern_seconds"
    assert set(METRIC_COLUMNS.values()) <= set(FACT_COLUMNS) & set(DAILY_COLUMNS)


def test_a_fact_row_keeps_unsent_metrics_null_and_decimals_exact() -> None:
    fact = Fact(
        event_id="e1",
        event_type="TimeSpentEvent",
        event_time="2026-02-10T23:30:00.5+01:00",
        date="2026-02-10",
        student_id=KEY[0],
        student_sourced_id="s1",
        email=None,
        subject="Math",
        app=None,
        course_id=None,
        course_name="Algebra",
        activity_id="a",
        activity_name=None,
        metrics={"wasteSeconds": Decimal("45.50"), "activeSeconds": Decimal("0.30000000000000004")},
        waste_by_sub_type={"eating": Decimal("30"), "break": Decimal("15.50")},
    )
    row = dict(zip(FACT_COLUMNS, fact_row(fact), strict=True))
    # Built by hand (no event_time_utc given): computed from event_time.
    assert row["event_time_utc"] == "2026-02-10T22:30:00.500000Z"
    assert (row["waste_seconds"], row["active_seconds"]) == ("45.50", "0.30000000000000004")
    assert row["xp_earned"] is None
    assert row["inactive_seconds"] is None
    assert row["waste_by_sub_type"] == '{"break":"15.50","eating":"30"}'
    assert (row["app"], row["email"], row["course_name"]) == (None, None, "Algebra")


def test_a_fact_without_waste_has_null_waste() -> None:
    fact = Fact("e", "ActivityEvent", "t", "d", "s", None, None, "Math", None, None, None, None,
                None, {"xpEarned": Decimal(-3)}, {}, "2026-02-10T00:00:00.000000Z")  # fmt: skip
    row = dict(zip(FACT_COLUMNS, fact_row(fact), strict=True))
    assert (row["xp_earned"], row["waste_by_sub_type"]) == ("-3", None)


def test_daily_rows_round_trip_with_every_metric_present() -> None:
    totals = Totals(
        key=KEY,
        events=3,
        metrics={"xpEarned": Decimal("-7.25"), "totalQuestions": Decimal(8)},
        waste_by_sub_type={"break": Decimal("15.5")},
        student_sourced_id="s1",
        course_name="Algebra",
    )
    row = daily_row(totals)
    assert dict(zip(DAILY_COLUMNS, row, strict=True))["mastered_units"] == "0"
    back = totals_of_row(row)
    assert back.metrics == {name: totals.metrics.get(name, Decimal(0)) for name in METRIC_NAMES}
    assert (back.key, back.events, back.waste_by_sub_type) == (KEY, 3, totals.waste_by_sub_type)
    assert (back.student_sourced_id, back.email, back.course_name) == ("s1", None, "Algebra")
    assert str(back.metrics["xpEarned"]) == "-7.25"


def test_the_json_form_nests_waste_and_keeps_decimal_strings() -> None:
    totals = Totals(key=KEY, events=1, waste_by_sub_type={"eating": Decimal("0.1")})
    element = orjson.loads(orjson.dumps(daily_json(totals)))
    assert element[-1] == {"eating": "0.1"}
    assert element[:5] == list(KEY)
    assert waste_of(element[-1]) == {"eating": Decimal("0.1")}
    assert waste_of('{"x":"1.50"}') == {"x": Decimal("1.50")}
    assert waste_of(None) == {}
