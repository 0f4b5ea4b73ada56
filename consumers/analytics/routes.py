"""The three endpoints: parameters checked, the store read, the answer shaped."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

import orjson
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from consumers.aggregator.columns import METRICS
from consumers.analytics import answers, params
from consumers.analytics.auth import Authorize
from consumers.analytics.errors import (
    JSON,
    AnalyticsError,
    InternalError,
    StoreUnavailableError,
    error_response,
)
from consumers.analytics.examples import ACTIVITY_EXAMPLE, ENROLLMENT_EXAMPLE, WEEKLY_EXAMPLE
from consumers.analytics.metrics import AnalyticsMetrics
from consumers.analytics.reader import FACT_COLUMNS, FactReader
from consumers.analytics.settings import AnalyticsSettings
from consumers.analytics.timezones import day_bounds, week_of

logger = logging.getLogger(__name__)

STUDENT_ID: Final = Query(
    None,
    alias="studentId",
    description="OneRoster sourcedId (`stu-77`), or the actor.id URL as sent. Not with email.",
    examples=["stu-77"],
)
EMAIL: Final = Query(None, description="The student's email. Not with studentId.")
TIMEZONE: Final = Query(
    None, description="IANA timezone the days are cut in (default UTC).", examples=["Asia/Tokyo"]
)
START: Final = Query(None, alias="startDate", description="First day, YYYY-MM-DD, inclusive.")
END: Final = Query(None, alias="endDate", description="Last day, YYYY-MM-DD, inclusive.")


@dataclass(frozen=True)
class Context:
    reader: FactReader
    settings: AnalyticsSettings
    metrics: AnalyticsMetrics
    authorize: Authorize | None


def _ok(body: dict[str, Any]) -> Response:
    return Response(orjson.dumps(body), media_type=JSON)


def _json_response(example: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {JSON: {"example": example}}}, 400: {"description": "Bad parameter"}}


def analytics_router(context: Context) -> APIRouter:
    router = APIRouter(prefix="/analytics", tags=["analytics"])
    settings, reader = context.settings, context.reader

    async def answer(
        endpoint: str, request: Request, work: Callable[[], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        try:
            if context.authorize is not None:
                await context.authorize(request)
            response = await asyncio.wait_for(work(), settings.query_timeout_s)
        except AnalyticsError as exc:
            response = error_response([exc])
        except TimeoutError:
            response = error_response(
                [StoreUnavailableError(f"the store did not answer in {settings.query_timeout_s} s")]
            )
        except Exception:
            # Answered in our error shape and counted, so the 5xx alert sees it too.
            logger.exception("%s failed", endpoint)
            response = error_response([InternalError("internal error; the service logged it")])
        context.metrics.requests.labels(endpoint, str(response.status_code)).inc()
        context.metrics.duration.labels(endpoint).observe(time.perf_counter() - started)
        return response

    @router.get("/activity", responses=_json_response(ACTIVITY_EXAMPLE))
    async def activity(
        request: Request,
        student_id: str | None = STUDENT_ID,
        email: str | None = EMAIL,
        start_date: str | None = START,
        end_date: str | None = END,
        timezone: str | None = TIMEZONE,
    ) -> Response:
        """Totals per local date -> subject and date -> subject -> app."""

        async def work() -> Response:
            return _ok(
                await activity_answer(
                    reader, settings, student_id, email, start_date, end_date, timezone
                )
            )

        return await answer("activity", request, work)

    @router.get("/facts/weekly", responses=_json_response(WEEKLY_EXAMPLE))
    async def weekly(
        request: Request,
        student_id: str | None = STUDENT_ID,
        email: str | None = EMAIL,
        week_date: str | None = Query(
            None, alias="weekDate", description="Any day of the ISO week (Monday..Sunday)."
        ),
        timezone: str | None = TIMEZONE,
    ) -> Response:
        """Every fact of that week, grouped by local date."""

        async def work() -> Response:
            student = params.student(student_id, email)
            monday, sunday = week_of(params.day("weekDate", week_date))
            name, tz = params.timezone(timezone)
            bounds = day_bounds(monday, sunday, tz)
            rows = await reader.facts(student, FACT_COLUMNS, bounds[0], bounds[-1])
            return _ok(
                {
                    "studentId": student_id,
                    "email": email,
                    "weekStart": monday.isoformat(),
                    "weekEnd": sunday.isoformat(),
                    "timezone": name,
                    "facts": answers.weekly(rows, answers.Days(monday, bounds)),
                }
            )

        return await answer("weekly", request, work)

    @router.get("/enrollment", responses=_json_response(ENROLLMENT_EXAMPLE))
    async def enrollment(
        request: Request,
        student_id: str | None = STUDENT_ID,
        email: str | None = EMAIL,
        course_id: str | None = Query(None, alias="courseId", description="The course's id."),
        start_date: str | None = START,
        end_date: str | None = END,
        timezone: str | None = TIMEZONE,
    ) -> Response:
        """Totals of all the student's activity in the course (optionally a date range)."""

        async def work() -> Response:
            student = params.student(student_id, email)
            course = params.required_text("courseId", course_id)
            window = params.optional_range(start_date, end_date, settings.max_range_days)
            name, tz = params.timezone(timezone)
            body: dict[str, Any] = {"studentId": student_id, "email": email, "courseId": course}
            if window is None:
                # All time: the daily totals hold the same sums, whatever the timezone.
                rows = await reader.course_totals(student, course)
                body |= {"startDate": None, "endDate": None, "timezone": name}
                return _ok(body | answers.totals(rows, counted=True))
            bounds = day_bounds(window.start, window.end, tz)
            rows = await reader.facts(student, METRICS, bounds[0], bounds[-1], course_id=course)
            body |= {
                "startDate": window.start.isoformat(),
                "endDate": window.end.isoformat(),
                "timezone": name,
            }
            return _ok(body | answers.totals(rows, counted=False))

        return await answer("enrollment", request, work)

    return router


async def activity_answer(
    reader: FactReader,
    settings: AnalyticsSettings,
    student_id: str | None,
    email: str | None,
    start_date: str | None,
    end_date: str | None,
    timezone: str | None,
) -> dict[str, Any]:
    """The /analytics/activity body (also what `caliper-pipeline facts` prints)."""
    student = params.student(student_id, email)
    window = params.date_range(start_date, end_date, settings.max_range_days)
    name, tz = params.timezone(timezone)
    days = answers.Days(window.start, day_bounds(window.start, window.end, tz))
    groups = await reader.activity(student, days)
    return {
        "studentId": student_id,
        "email": email,
        "startDate": window.start.isoformat(),
        "endDate": window.end.isoformat(),
        "timezone": name,
        "facts": answers.activity(groups),
    }
