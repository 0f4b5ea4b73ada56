"""Settings, the dead-letter record layout, and the no-OneRoster startup."""

from __future__ import annotations

import asyncio
import logging
import re

import orjson
import pytest
from prometheus_client import CollectorRegistry
from pydantic import SecretStr, ValidationError

from consumers.oneroster.dlq import Source, dead_letter, source_of_dead_letter
from consumers.oneroster.errors import MalformedRecordError, WriteFailedError
from consumers.oneroster.metrics import WriterMetrics
from consumers.oneroster.service import NOT_CONFIGURED, writer_service
from consumers.oneroster.settings import ENV_PREFIX, WriterSettings
from tests.conftest import REPO_ROOT
from tests.settings_tables import setting_names

CONNECTION: dict[str, str | SecretStr] = {
    "base_url": "https://or.example.com",
    "token_url": "https://auth.example.com/token",
    "client_id": "id",
    "client_secret": SecretStr("s3cret"),
}


def test_defaults_mean_not_configured() -> None:
    settings = WriterSettings()
    assert not settings.configured
    assert settings.dlq_topic == "oneroster.results.dlq"


def test_env_prefix_and_redaction(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in CONNECTION.items():
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        monkeypatch.setenv(f"CALIPER_ONEROSTER_{name.upper()}", text)
    monkeypatch.setenv("CALIPER_ONEROSTER_CONCURRENCY", "3")
    settings = WriterSettings()
    assert settings.configured
    assert settings.concurrency == 3
    dump = settings.redacted()
    assert dump["client_secret"] == "**********"
    assert "s3cret" not in repr(dump)


def test_half_configured_is_an_error() -> None:
    with pytest.raises(ValidationError, match="half configured"):
        WriterSettings(base_url="https://or.example.com")


async def test_without_oneroster_the_writer_does_not_consume(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stop = asyncio.Event()
    caplog.set_level(logging.WARNING)
    writer = writer_service(WriterSettings(), kafka={}, metrics=WriterMetrics(CollectorRegistry()))
    await writer.start()
    task = asyncio.create_task(writer.run(stop))
    await asyncio.sleep(0.05)
    assert not task.done()
    stop.set()
    await task
    await writer.stop()
    assert NOT_CONFIGURED in caplog.text


def test_dead_letter_keeps_event_request_and_answer_and_replays_it() -> None:
    value = orjson.dumps({"sensor": "s", "event": {"id": "e1"}})
    source = Source("events", 2, 41, b"actor", value, [("event-type", b"ActivityEvent")])
    error = WriteFailedError(
        "no", code="rejected", request={"method": "PUT"}, response={"status": 400}, attempts=1
    )
    key, raw, headers = dead_letter(source, error)
    letter = orjson.loads(raw)
    assert key == b"actor"
    assert ("dlq-reason", b"rejected") in headers
    assert letter["record"] == {"sensor": "s", "event": {"id": "e1"}}
    assert letter["request"] == {"method": "PUT"}
    assert letter["response"] == {"status": 400}
    assert letter["source"] == {
        "topic": "events",
        "partition": 2,
        "offset": 41,
        "headers": {"event-type": "ActivityEvent"},
    }
    again = source_of_dead_letter(key, raw)
    assert orjson.loads(again.value or b"") == orjson.loads(value)
    assert (again.key, again.replays, again.offset) == (b"actor", 1, 41)


def test_dead_letter_of_a_non_json_record_keeps_its_text() -> None:
    source = Source("events", 0, 1, None, b"\xffgarbage", [])
    _key, raw, _headers = dead_letter(source, MalformedRecordError("bad", code="malformed_record"))
    letter = orjson.loads(raw)
    assert letter["record"] is None
    assert letter["recordText"].endswith("garbage")
    with pytest.raises(MalformedRecordError):
        source_of_dead_letter(None, raw)


def test_readme_lists_every_writer_setting() -> None:
    readme = (REPO_ROOT / "docs" / "oneroster.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| (CALIPER_ONEROSTER_[A-Z0-9_]+) \|", readme, flags=re.M))
    assert listed == setting_names(ENV_PREFIX, WriterSettings)
