"""The PostgreSQL store's per-batch statements, built once per schema.

A batch's rows travel as ONE JSON document per statement (`jsonb_array_elements`,
unpacked by the server in C) instead of one array parameter per column: psycopg dumps
Python lists element by element, which cost more than the rest of the statement.
Exact decimals are JSON strings cast to `numeric`; rows are fed in the order sent
(sorted by key), so two writers lock rows in the same order and cannot deadlock.
"""

from __future__ import annotations

import functools
from typing import Final

from consumers.aggregator.columns import DAILY_COLUMNS, DAILY_KEY_COLUMNS, FACT_COLUMNS, METRICS

DESCRIPTIVE: Final = ("student_sourced_id", "email", "course_id", "course_name")
# SQL type of each DAILY_COLUMNS element of a JSON row.
_DAILY_TYPES: Final = (
    ("text", "date", "text", "text", "text", "text", "text", "text", "text", "bigint")
    + ("numeric",) * len(METRICS)
    + ("jsonb",)
)
# Sub-type sums, key by key, when both sides have waste (decimal strings, like SQLite's).
_MERGE_WASTE: Final = (
    "(SELECT jsonb_object_agg(k, v) FROM (SELECT k, sum(v::numeric)::text AS v FROM"
    " (SELECT * FROM jsonb_each_text(t.waste_by_sub_type) UNION ALL"
    " SELECT * FROM jsonb_each_text(excluded.waste_by_sub_type)) AS e(k, v) GROUP BY k) AS g)"
)
_ROWS: Final = "jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS j(e, n)"


@functools.cache
def claim(s: str) -> str:
    """Insert the new (id, hex digest) pairs; return the ids that were already there,
    as JSON text (cheaper to read than one row per id)."""
    return (
        f"WITH u AS MATERIALIZED (SELECT e->>0 AS event_id, decode(e->>1, 'hex') AS digest"
        f" FROM {_ROWS} ORDER BY n),"
        f" ins AS (INSERT INTO {s}.counted_events (event_id, digest) SELECT * FROM u"
        " ON CONFLICT DO NOTHING RETURNING event_id)"
        " SELECT coalesce(json_agg(event_id), '[]')::text FROM u"
        " WHERE event_id NOT IN (SELECT event_id FROM ins)"
    )


@functools.cache
def known_digests(s: str) -> str:
    # A new statement: under READ COMMITTED it sees what a concurrent writer committed.
    return f"SELECT event_id, digest FROM {s}.counted_events WHERE event_id = ANY(%s)"


@functools.cache
def copy_facts(s: str) -> str:
    return f"COPY {s}.facts ({', '.join(FACT_COLUMNS)}) FROM STDIN"


@functools.cache
def upsert_daily(s: str) -> str:
    """One statement adds every delta of a batch and returns the new absolute totals.
    Sums happen in `numeric` (exact); "later description wins when present" as in
    folding.add (an empty string is absent, as there)."""
    values = []
    for i, (column, kind) in enumerate(zip(DAILY_COLUMNS, _DAILY_TYPES, strict=True)):
        value = f"(e->{i})::jsonb" if kind == "jsonb" else f"(e->>{i})::{kind}"
        values.append(f"nullif({value}, '')" if column in DESCRIPTIVE else value)
    updates = [f"{c} = coalesce(excluded.{c}, t.{c})" for c in DESCRIPTIVE]
    updates += [f"{c} = t.{c} + excluded.{c}" for c in ("events", *METRICS)]
    updates.append(
        "waste_by_sub_type = CASE WHEN excluded.waste_by_sub_type = '{}'"
        " THEN t.waste_by_sub_type WHEN t.waste_by_sub_type = '{}'"
        f" THEN excluded.waste_by_sub_type ELSE {_MERGE_WASTE} END"
    )
    returned = [f"t.{c}" for c in DAILY_COLUMNS[:-1]] + ["t.waste_by_sub_type::text"]
    return (
        f"INSERT INTO {s}.daily_totals AS t ({', '.join(DAILY_COLUMNS)})"
        f" SELECT {', '.join(values)} FROM {_ROWS} ORDER BY n"
        f" ON CONFLICT ({', '.join(DAILY_KEY_COLUMNS)}) DO UPDATE SET {', '.join(updates)}"
        f" RETURNING {', '.join(returned)}"
    )


@functools.cache
def save_offsets(s: str) -> str:
    # Same broker: offsets only move forward. New broker (source): they start over.
    return (
        f"INSERT INTO {s}.consumed_offsets AS o (topic, partition, next_offset, source)"
        " SELECT %s, p, n, %s FROM unnest(%s::int[], %s::bigint[]) AS u(p, n)"
        " ON CONFLICT (topic, partition) DO UPDATE SET"
        " next_offset = CASE WHEN o.source = excluded.source"
        " THEN greatest(o.next_offset, excluded.next_offset) ELSE excluded.next_offset END,"
        " source = excluded.source"
    )
