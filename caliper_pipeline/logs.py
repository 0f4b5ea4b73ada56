"""Logging, configured once per process with `logging.config.dictConfig`."""

from __future__ import annotations

import logging
import logging.config
from datetime import UTC, datetime
from typing import Any, Final, Literal

import orjson

LogFormat = Literal["plain", "json"]

PLAIN_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Their INFO lines (coordinator joins, metadata) drown ours; warnings still show.
QUIET_LIBRARIES: Final = ("aiokafka", "kafka")


class JsonLinesFormatter(logging.Formatter):
    """One JSON object a line: what log shippers (Loki, Fluent Bit) parse without rules."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry).decode()


def configure_logging(level: str, log_format: LogFormat = "plain") -> None:
    """Everything to stderr at `level` (libraries in QUIET_LIBRARIES at WARNING at least)."""
    numeric = logging.getLevelName(level.upper())
    quiet = max(numeric, logging.WARNING) if isinstance(numeric, int) else logging.WARNING
    formatter: dict[str, Any] = (
        {"()": JsonLinesFormatter} if log_format == "json" else {"format": PLAIN_FORMAT}
    )
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"default": formatter},
            "handlers": {
                "stderr": {
                    "class": "logging.StreamHandler",
                    "formatter": "default",
                    "stream": "ext://sys.stderr",
                }
            },
            "root": {"level": level.upper(), "handlers": ["stderr"]},
            "loggers": {name: {"level": quiet} for name in QUIET_LIBRARIES},
        }
    )


def log_settings(what: str, redacted: dict[str, Any]) -> None:
    """The settings a process runs with, secrets masked: the first line to read."""
    logging.getLogger("caliper_pipeline").info("%s settings: %s", what, redacted)
