"""Folding facts into absolute totals per daily key."""

from __future__ import annotations

import random
from decimal import Decimal

import orjson

from consumers.aggregator.facts import Fact
from consumers.aggregator.folding import (
    Totals,
    add,
    daily_value,
    decode_key,
    encode_key,
    fold,
    from_stored,
    json_number,
    of_fact,
    to_stored,
)


def fact(
    event_id: str,
    *,
    date: str = "2026-02-10",
    app: str | None = "App",
    email: str | None = "a@b.co",
    metrics: dict[str, Decimal] | None = None,
    waste: dict[str, Decimal] | None = None,
) -> Fact:
    return Fact(
        event_id=event_id,
        event_type="ActivityEvent",
        event_time=f"{date}T10:00:00Z",
        date=date,
        student_id="https://x.example/users/s1",
        student_sourced_id="s1",
        email=email,
        subject="Math",
        app=app,
        course_id=None,
        course_name="Algebra",
        activity_id=None,
        activity_name=None,
        metrics=metrics or {},
        waste_by_sub_type=waste or {},
    )


def test_fold_sums_per_key_and_counts_events() -> None:
    deltas = fold(
        [
            fact("1", metrics={"xpEarned": Decimal(10), "totalQuestions": Decimal(4)}),
            fact("2", metrics={"xpEarned": Decimal(5)}),
            fact("3", date="2026-02-11", metrics={"xpEarned": Decimal(1)}),
        ]
    )
    assert len(deltas) == 2
    day1 = deltas[("https://x.example/users/s1", "2026-02-10", "Math", "App", "Algebra")]
    assert day1.events == 2
    assert day1.metrics == {"xpEarned": Decimal(15), "totalQuestions": Decimal(4)}


def test_negative_xp_is_a_correction_summed_like_any_value() -> None:
    (totals,) = fold(
        [
            fact("1", metrics={"xpEarned": Decimal(10)}),
            fact("2", metrics={"xpEarned": Decimal(-15)}),
        ]
    ).values()
    assert totals.metrics["xpEarned"] == Decimal(-5)
    assert totals.events == 2


def test_decimal_sums_do_not_depend_on_batching() -> None:
    facts = [fact(str(i), metrics={"xpEarned": Decimal("0.1")}) for i in range(10)]
    (whole,) = fold(facts).values()
    (left,) = fold(facts[:3]).values()
    (right,) = fold(facts[3:]).values()
    assert whole.metrics == add(left, right).metrics == {"xpEarned": Decimal("1.0")}


def test_waste_by_sub_type_folds() -> None:
    (totals,) = fold(
        [
            fact("1", waste={"eating": Decimal(60)}),
            fact("2", waste={"eating": Decimal(10), "break": Decimal(5)}),
        ]
    ).values()
    assert totals.waste_by_sub_type == {"eating": Decimal(70), "break": Decimal(5)}


def test_later_descriptions_win_but_missing_ones_do_not_erase() -> None:
    (totals,) = fold([fact("1", email="old@b.co"), fact("2", email="new@b.co")]).values()
    assert totals.email == "new@b.co"
    base = Totals(key=totals.key, email="kept@b.co")
    assert add(base, Totals(key=totals.key, events=1)).email == "kept@b.co"


def test_store_form_round_trips_exactly() -> None:
    (totals,) = fold(
        [fact("1", metrics={"xpEarned": Decimal("0.30000000000000001")}, waste={"x": Decimal(1)})]
    ).values()
    assert from_stored(totals.key, to_stored(totals)) == totals
    assert decode_key(encode_key(totals.key)) == totals.key


def test_daily_value_lists_every_metric() -> None:
    (totals,) = fold([fact("1", metrics={"xpEarned": Decimal("2.5")}, app=None)]).values()
    value = daily_value(totals)
    assert value["xpEarned"] == 2.5
    assert value["activeSeconds"] == 0
    assert value["events"] == 1
    assert value["app"] is None
    assert orjson.loads(encode_key(totals.key))[3] == ""


def test_fold_is_of_fact_then_add_in_order() -> None:
    """`fold` keeps running sums instead of two Totals per fact: the result must be the
    plain definition, folding `of_fact` with `add`, for any mix of keys and fields."""
    rng = random.Random(12)
    values = [Decimal("-3"), Decimal("2.5"), Decimal("0.1"), Decimal("10"), Decimal("0.30")]
    facts = [
        fact(
            str(n),
            date=rng.choice(["2026-02-10", "2026-02-11"]),
            app=rng.choice(["App", None, ""]),
            email=rng.choice(["a@b.co", "c@d.co", None, ""]),
            metrics={
                name: rng.choice(values)
                for name in rng.sample(["xpEarned", "totalQuestions", "wasteSeconds"], 2)
            },
            waste={sub: rng.choice(values) for sub in rng.sample(["eating", "break"], 1)},
        )
        for n in range(300)
    ]
    reference: dict[tuple[str, str, str, str, str], Totals] = {}
    for one in facts:
        previous = reference.get(one.daily_key)
        reference[one.daily_key] = of_fact(one) if previous is None else add(previous, of_fact(one))
    assert fold(facts) == reference
    assert list(fold(facts)) == list(reference)


def test_json_numbers_are_what_orjson_can_write() -> None:
    assert json_number(Decimal(2**64 - 1)) == 2**64 - 1
    assert json_number(Decimal(-(2**63))) == -(2**63)
    # A wider whole sum (two totalQuestions of 10^19) is a double, not an orjson error.
    wide = json_number(Decimal(2 * 10**19))
    assert isinstance(wide, float)
    assert orjson.loads(orjson.dumps(wide)) == 2e19
    assert json_number(Decimal("2.5")) == 2.5
