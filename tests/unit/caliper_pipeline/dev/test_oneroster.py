"""The dev OneRoster server's routes in process (httpx ASGITransport): no sockets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from caliper_pipeline.dev.oneroster import DEV_CLIENT_ID, DEV_CLIENT_SECRET, DevOneRoster
from caliper_pipeline.dev.oneroster.query import QueryError, parse_filter

GRADEBOOK = "/ims/oneroster/gradebook/v1p2"
LINE_ITEM = {"assessmentLineItem": {"sourcedId": "li-1", "title": "Quiz"}}


def result(sourced_id: str, student: str, score: float | None) -> dict[str, Any]:
    return {
        "assessmentResult": {
            "sourcedId": sourced_id,
            "assessmentLineItem": {"sourcedId": "li-1"},
            "student": {"sourcedId": student},
            "score": score,
            "scoreStatus": "fully graded",
            "scoreDate": "2026-02-10T15:04:05.000Z",
            "metadata": {"attempt": 1},
        }
    }


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = DevOneRoster(client_id=DEV_CLIENT_ID, client_secret=DEV_CLIENT_SECRET, token_ttl_s=60)
    transport = httpx.ASGITransport(app=app.asgi)
    async with httpx.AsyncClient(transport=transport, base_url="http://dev") as http:
        token = await http.post(
            "/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(DEV_CLIENT_ID, DEV_CLIENT_SECRET),
        )
        assert token.status_code == 200
        http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        yield http


async def test_token_endpoint_refuses_wrong_credentials(client: httpx.AsyncClient) -> None:
    form = {"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"}
    answer = await client.post("/oauth2/token", data=form, headers={"Authorization": ""})
    assert answer.status_code == 401
    form = {"grant_type": "client_credentials", "client_id": DEV_CLIENT_ID}
    form["client_secret"] = DEV_CLIENT_SECRET
    assert (await client.post("/oauth2/token", data=form)).status_code == 200


async def test_put_creates_then_updates_and_get_serves_it(client: httpx.AsyncClient) -> None:
    first = await client.put(f"{GRADEBOOK}/assessmentLineItems/li-1", json=LINE_ITEM)
    again = await client.put(f"{GRADEBOOK}/assessmentLineItems/li-1", json=LINE_ITEM)
    assert (first.status_code, again.status_code) == (201, 200)
    got = await client.get(f"{GRADEBOOK}/assessmentLineItems/li-1")
    assert got.json()["assessmentLineItem"]["title"] == "Quiz"
    assert "dateLastModified" in got.json()["assessmentLineItem"]
    missing = await client.get(f"{GRADEBOOK}/assessmentLineItems/nope")
    assert missing.status_code == 404
    assert missing.json()["imsx_codeMajor"] == "failure"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (
            {
                "assessmentResult": {
                    **result("r", "s", 1)["assessmentResult"],
                    "scoreStatus": "done",
                }
            },
            "$.assessmentResult.scoreStatus",
        ),
        (
            {"assessmentResult": {**result("r", "s", 1)["assessmentResult"], "student": {}}},
            "$.assessmentResult.student.sourcedId",
        ),
        (
            {"assessmentResult": {**result("r", "s", 1)["assessmentResult"], "scoreDate": "May"}},
            "$.assessmentResult.scoreDate",
        ),
        (
            {"assessmentResult": {**result("r", "s", 1)["assessmentResult"], "score": "high"}},
            "$.assessmentResult.score",
        ),
    ],
)
async def test_bad_bodies_get_a_oneroster_400(
    client: httpx.AsyncClient, body: dict[str, Any], path: str
) -> None:
    await client.put(f"{GRADEBOOK}/assessmentLineItems/li-1", json=LINE_ITEM)
    answer = await client.put(f"{GRADEBOOK}/assessmentResults/r", json=body)
    assert answer.status_code == 400
    error = answer.json()
    assert error["imsx_codeMajor"] == "failure"
    assert error["imsx_severity"] == "error"
    fields = error["imsx_CodeMinor"]["imsx_codeMinorField"]
    assert [f["imsx_codeMinorFieldName"] for f in fields] == [path]
    assert fields[0]["imsx_codeMinorFieldValue"].startswith("invaliddata")


@pytest.mark.parametrize(
    "body",
    [
        {"sourcedId": "r", "title": "unwrapped"},
        {"assessmentLineItem": {"sourcedId": "other", "title": "x"}},
    ],
)
async def test_unwrapped_or_mismatched_bodies_are_refused(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    answer = await client.put(f"{GRADEBOOK}/assessmentLineItems/r", json=body)
    assert answer.status_code == 400


async def test_a_result_needs_its_line_item(client: httpx.AsyncClient) -> None:
    answer = await client.put(f"{GRADEBOOK}/assessmentResults/r", json=result("r", "s", 1))
    assert answer.status_code == 404


async def test_writes_need_a_valid_token(client: httpx.AsyncClient) -> None:
    url = f"{GRADEBOOK}/assessmentLineItems/li-1"
    assert (
        await client.put(url, json=LINE_ITEM, headers={"Authorization": "Bearer x"})
    ).status_code == 401
    await client.post("/_dev/expire-tokens")
    assert (await client.put(url, json=LINE_ITEM)).status_code == 401


async def test_list_filters_sorts_and_pages(client: httpx.AsyncClient) -> None:
    await client.put(f"{GRADEBOOK}/assessmentLineItems/li-1", json=LINE_ITEM)
    for index, (student, score) in enumerate([("a", 50), ("b", 90), ("a", 70), ("c", None)]):
        await client.put(
            f"{GRADEBOOK}/assessmentResults/r{index}", json=result(f"r{index}", student, score)
        )
    url = f"{GRADEBOOK}/assessmentResults"
    answer = await client.get(url, params={"filter": "student.sourcedId='a'", "sort": "score"})
    assert [r["score"] for r in answer.json()["assessmentResults"]] == [50, 70]
    assert answer.headers["x-total-count"] == "2"
    answer = await client.get(url, params={"filter": "score>='70' OR student.sourcedId='c'"})
    assert sorted(r["sourcedId"] for r in answer.json()["assessmentResults"]) == ["r1", "r2", "r3"]
    answer = await client.get(
        url, params={"limit": 2, "offset": 2, "sort": "sourcedId", "orderBy": "desc"}
    )
    body = answer.json()
    assert [r["sourcedId"] for r in body["assessmentResults"]] == ["r1", "r0"]
    assert (body["totalCount"], body["pageCount"], body["pageNumber"]) == (4, 2, 2)
    bad = await client.get(url, params={"filter": "score=70"})
    assert bad.status_code == 400
    assert (
        bad.json()["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"]
        == "invalid_filter_field"
    )
    assert (await client.get(url, params={"limit": 0})).status_code == 400


async def test_faults_hit_the_next_n_matching_requests(client: httpx.AsyncClient) -> None:
    url = f"{GRADEBOOK}/assessmentLineItems/li-1"
    fault = {"kind": "status", "status": 429, "retryAfter": 2, "count": 2, "method": "PUT"}
    assert (await client.post("/_dev/faults", json=fault)).status_code == 201
    assert (await client.get(url)).status_code == 404  # GET does not match method=PUT
    for _ in range(2):
        answer = await client.put(url, json=LINE_ITEM)
        assert (answer.status_code, answer.headers["retry-after"]) == (429, "2")
    assert (await client.put(url, json=LINE_ITEM)).status_code == 201
    await client.post("/_dev/faults", json={"kind": "status", "status": 500, "count": 5})
    await client.delete("/_dev/faults")
    assert (await client.put(url, json=LINE_ITEM)).status_code == 200
    stats = (await client.get("/_dev/stats")).json()
    assert stats["faultHits"] == {"429": 2}
    assert stats["writes"]["assessmentLineItems"] == {"li-1": 2}
    assert (await client.post("/_dev/faults", json={"kind": "explode"})).status_code == 400
    await client.post("/_dev/reset")
    assert (await client.get("/_dev/stats")).json()["counts"]["assessmentLineItems"] == 0


@pytest.mark.parametrize(
    ("expression", "obj", "expected"),
    [
        ("status='active'", {"status": "active"}, True),
        ("status!='active'", {"status": "active"}, False),
        ("title~'QUIZ'", {"title": "Math quiz 5"}, True),
        ("status@'active,tobedeleted'", {"status": "tobedeleted"}, True),
        ("score>'9'", {"score": 10}, True),
        ("score<'9'", {"score": None}, False),
        ("a='1' AND b='2' OR c='3'", {"c": "3"}, True),
        ("a='1' AND b='2' OR c='3'", {"a": "1"}, False),
        ("", {}, True),
    ],
)
def test_filter_grammar(expression: str, obj: dict[str, Any], expected: bool) -> None:
    assert parse_filter(expression)(obj) is expected


@pytest.mark.parametrize("expression", ["status=active", "='x'", "a='1' AND", "a=='1'"])
def test_unreadable_filters(expression: str) -> None:
    with pytest.raises(QueryError):
        parse_filter(expression)
