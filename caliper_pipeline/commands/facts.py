"""`caliper-pipeline facts`: what /analytics/activity answers, printed for a person.

Reads the store directly (the analytics service's settings and reader), so it works
with nothing else running; `--json` prints the API's exact body for scripts.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from caliper_pipeline.dev.settings import DevSettings
from caliper_pipeline.runtime import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from consumers.analytics.answers import ACTIVITY_METRICS, TIME_METRICS
from consumers.analytics.errors import AnalyticsError, ParameterError
from consumers.analytics.reader_factory import open_reader
from consumers.analytics.routes import activity_answer
from consumers.analytics.settings import AnalyticsSettings
from consumers.analytics.timezones import UnknownTimezoneError, zone

DEFAULT_DAYS = 7
UP_STORE_FILE = "aggregator.sqlite3"
COLUMNS = ("date", "subject", "app", *ACTIVITY_METRICS, *TIME_METRICS)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--student", help="OneRoster sourcedId, or the actor.id URL")
    who.add_argument("--email", help="the student's email")
    parser.add_argument("--from", dest="start", help="first day YYYY-MM-DD (default: 6 days ago)")
    parser.add_argument("--to", dest="end", help="last day YYYY-MM-DD (default: today)")
    parser.add_argument("--timezone", default="UTC", help="IANA timezone days are cut in")
    parser.add_argument("--json", action="store_true", help="the API's JSON body")
    parser.add_argument(
        "--store",
        help="store URL (default: CALIPER_ANALYTICS_STORE_URL, else the store of `up`)",
    )


def _default_days(args: argparse.Namespace) -> tuple[str, str]:
    try:
        today = datetime.now(UTC).astimezone(zone(args.timezone)).date()
    except UnknownTimezoneError:
        today = datetime.now(UTC).date()  # the answer names the bad timezone
    end = args.end or today.isoformat()
    start = args.start or (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat()
    return start, end


def table(answer: dict[str, Any]) -> str:
    """One line per date, subject and app: the numbers a person reads."""
    rows: list[tuple[str, ...]] = [COLUMNS]
    for day, subjects in answer["facts"].items():
        for subject, by_subject in subjects.items():
            for app, metrics in by_subject["apps"].items():
                values = {**metrics["activityMetrics"], **metrics["timeSpentMetrics"]}
                rows.append((day, subject, app or "-", *(str(values[m]) for m in COLUMNS[3:])))
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    who = answer["studentId"] or answer["email"]
    title = f"{who}: {answer['startDate']} .. {answer['endDate']} ({answer['timezone']})"
    if len(rows) == 1:
        return f"{title}\nno facts in this range"
    return "\n".join([title, *lines])


def store_url(settings: AnalyticsSettings) -> str:
    """CALIPER_ANALYTICS_STORE_URL when set, else the store `up` writes (its data dir)."""
    if "store_url" in settings.model_fields_set:
        return settings.store_url.get_secret_value()
    return f"sqlite://{DevSettings().data_dir.resolve() / UP_STORE_FILE}"


async def _answer(args: argparse.Namespace) -> dict[str, Any]:
    settings = AnalyticsSettings()
    url = args.store or store_url(settings)
    reader = open_reader(url, schema=settings.store_schema, timeout_s=settings.query_timeout_s)
    await reader.start()
    try:
        start, end = _default_days(args)
        return await activity_answer(
            reader, settings, args.student, args.email, start, end, args.timezone
        )
    finally:
        await reader.stop()


def run_facts(args: argparse.Namespace) -> int:
    try:
        answer = asyncio.run(_answer(args))
    except ParameterError as exc:
        print(f"caliper-pipeline facts: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    except AnalyticsError as exc:
        print(f"caliper-pipeline facts: {exc.message}", file=sys.stderr)
        return EXIT_FAILED
    print(orjson.dumps(answer).decode() if args.json else table(answer))
    return EXIT_OK
