"""Bad requests, tokens and a missing store against the real service (uvicorn, httpx)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from caliper_pipeline.commands.analytics import REQUIRED, authorize_with
from consumers.aggregator.migrations import migrate_sqlite
from ingest.auth.factory import authenticator_for
from ingest.settings import Settings
from tests.integration.consumers.analytics.conftest import analytics_server
from tests.jwks_server import JwksServer
from tests.tokens import AUDIENCE, ISSUER, Claims, SigningKey, jwks, sign

pytestmark = pytest.mark.integration

KEY = SigningKey.rsa("k1")
WEEK = {"studentId": "stu-1", "startDate": "2026-03-02", "endDate": "2026-03-08"}


@pytest.fixture
def store(tmp_path: Path) -> str:
    """An empty store of the current layout."""
    path = tmp_path / "aggregator.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate_sqlite(conn)
    conn.close()
    return f"sqlite://{path}"


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    with JwksServer(jwks(KEY)) as server:
        yield server


def problems(response: httpx.Response) -> list[tuple[str, str]]:
    body: dict[str, Any] = orjson.loads(response.content)
    assert body["status"] == "error"
    assert body["message"]
    return [(entry["path"], entry["code"]) for entry in body["errors"]]


@pytest.mark.parametrize(
    ("query", "path", "code"),
    [
        (WEEK | {"timezone": "Mars/Olympus"}, "$.query.timezone", "unknown_timezone"),
        (WEEK | {"timezone": "../../etc/passwd"}, "$.query.timezone", "unknown_timezone"),
        (WEEK | {"endDate": "2026-03-01"}, "$.query.endDate", "end_before_start"),
        (WEEK | {"endDate": "2027-03-08"}, "$.query.endDate", "range_too_long"),
        (WEEK | {"startDate": "2026-3-2"}, "$.query.startDate", "malformed_date"),
        (WEEK | {"startDate": "2026-02-30"}, "$.query.startDate", "malformed_date"),
        (WEEK | {"endDate": "9999-12-31"}, "$.query.endDate", "date_out_of_range"),
        (
            WEEK | {"startDate": "0001-01-01", "timezone": "Asia/Tokyo"},
            "$.query.startDate",
            "date_out_of_range",
        ),
        (WEEK | {"studentId": "stu\x001"}, "$.query.studentId", "bad_request"),
        (
            {"startDate": "2026-03-02", "endDate": "2026-03-08"},
            "$.query.studentId",
            "student_required",
        ),
        (WEEK | {"email": "a@b.example"}, "$.query.studentId", "student_ambiguous"),
        ({"studentId": "stu-1", "endDate": "2026-03-08"}, "$.query.startDate", "required"),
    ],
)
async def test_activity_parameter_errors(
    store: str, query: dict[str, str], path: str, code: str
) -> None:
    async with analytics_server(store) as (url, _), httpx.AsyncClient(base_url=url) as client:
        response = await client.get("/analytics/activity", params=query)
    assert response.status_code == 400
    assert problems(response) == [(path, code)]


async def test_other_endpoints_name_their_own_missing_parameters(store: str) -> None:
    async with analytics_server(store) as (url, _), httpx.AsyncClient(base_url=url) as client:
        weekly = await client.get("/analytics/facts/weekly", params={"studentId": "stu-1"})
        enrollment = await client.get("/analytics/enrollment", params={"studentId": "stu-1"})
        one_sided = await client.get(
            "/analytics/enrollment",
            params={"studentId": "stu-1", "courseId": "c", "startDate": "2026-03-02"},
        )
        late_week = await client.get(
            "/analytics/facts/weekly", params={"studentId": "stu-1", "weekDate": "9999-12-31"}
        )
    assert problems(weekly) == [("$.query.weekDate", "required")]
    assert problems(late_week) == [("$.query.weekDate", "date_out_of_range")]
    assert problems(enrollment) == [("$.query.courseId", "required")]
    assert problems(one_sided) == [("$.query.endDate", "required")]


async def test_a_missing_store_is_503_not_500(tmp_path: Path) -> None:
    missing = f"sqlite://{tmp_path}/nothing-here.sqlite3"
    async with analytics_server(missing) as (url, _), httpx.AsyncClient(base_url=url) as client:
        response = await client.get("/analytics/activity", params=WEEK)
        ready = await client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert problems(response) == [("$.query", "store_unavailable")]
    assert ready.status_code == 503


def write_fact(store: str, n: int, column: str, stored: str) -> None:
    """A `facts` row of stu-1 on 2026-03-03 (Math) with one metric as stored text,
    written by hand: what the aggregator would never write, but a person could."""
    conn = sqlite3.connect(store.removeprefix("sqlite://"), isolation_level=None)
    conn.execute(
        "INSERT INTO facts (event_id, event_type, event_time, event_time_utc, date_utc,"
        f" student_id, student_sourced_id, subject, {column}) VALUES"
        " (?, 'ActivityEvent', '2026-03-03T10:00:00Z', '2026-03-03T10:00:00.000000Z',"
        " '2026-03-03', 'https://x/users/stu-1', 'stu-1', 'Math', ?)",
        (f"urn:uuid:{n}", stored),
    )
    conn.close()


async def test_an_unreadable_store_value_is_a_counted_500(store: str) -> None:
    """A fault of ours (here a metric someone wrote by hand as 'abc') is answered in the
    error shape and counted, so CaliperAnalyticsErrors fires on it."""
    write_fact(store, 1, "xp_earned", "abc")
    async with (
        analytics_server(store) as (url, registry),
        httpx.AsyncClient(base_url=url) as client,
    ):
        response = await client.get("/analytics/activity", params=WEEK)
        counted = registry.get_sample_value(
            "caliper_analytics_requests_total", {"endpoint": "activity", "status": "500"}
        )
    assert response.status_code == 500
    assert problems(response) == [("$.query", "internal_error")]
    assert counted == 1


async def test_whole_numbers_beyond_64_bits_are_summed_not_refused(store: str) -> None:
    """SQLite's CAST stops at 2^63 - 1 and its integer sum() raises on overflow: wide
    values take the exact text path, and a sum orjson cannot write as an integer is a
    double (not a 500)."""
    for n, questions in enumerate(["10000000000000000000", "10000000000000000000", "7"]):
        write_fact(store, n, "total_questions", questions)
    async with analytics_server(store) as (url, _), httpx.AsyncClient(base_url=url) as client:
        response = await client.get("/analytics/activity", params=WEEK)
    assert response.status_code == 200, response.text
    math = response.json()["facts"]["2026-03-03"]["Math"]
    assert math["activityMetrics"]["totalQuestions"] == 2e19 + 7


async def test_docs_are_served_without_a_cdn(store: str) -> None:
    async with analytics_server(store) as (url, _), httpx.AsyncClient(base_url=url) as client:
        page = await client.get("/docs")
        assert page.status_code == 200
        assert "cdn.jsdelivr.net" not in page.text
        assert "unpkg.com" not in page.text
        assets = [part.split('"')[0] for part in page.text.split('src="')[1:]]
        assert assets, "the page loads its script from us"
        for asset in assets:
            assert (await client.get(asset)).status_code == 200, asset
        spec = (await client.get("/openapi.json")).json()
    assert {"/analytics/activity", "/analytics/facts/weekly", "/analytics/enrollment"} <= set(
        spec["paths"]
    )


async def test_the_analytics_scope_is_required(store: str, jwks_server: JwksServer) -> None:
    door = Settings(
        auth_enabled=True, auth_issuer=ISSUER, auth_jwks_url=jwks_server.url, auth_audience=AUDIENCE
    )
    authenticator = authenticator_for(door, required_scopes=REQUIRED)
    assert authenticator is not None
    async with (
        analytics_server(store, authorize=authorize_with(authenticator)) as (url, _),
        httpx.AsyncClient(base_url=url) as client,
    ):

        async def get(token: str | None) -> httpx.Response:
            headers = {"authorization": f"Bearer {token}"} if token else {}
            return await client.get("/analytics/activity", params=WEEK, headers=headers)

        anonymous = await get(None)
        ingest_only = await get(sign(KEY))  # event.create: may post, may not read
        reader = await get(sign(KEY, Claims(scope="analytics.readOnly")))
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert problems(anonymous) == [("$.headers.authorization", "missing_token")]
    assert ingest_only.status_code == 403
    assert 'scope="analytics.readOnly"' in ingest_only.headers["www-authenticate"]
    assert reader.status_code == 200, reader.text
    assert reader.json()["facts"] == {}
