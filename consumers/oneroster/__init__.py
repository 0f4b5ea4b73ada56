"""The OneRoster results writer: `process: true` activity events become assessment results."""

from consumers.oneroster.mapping import ResultPlan, Skip, Write, plan
from consumers.oneroster.metrics import WriterMetrics
from consumers.oneroster.replay import ReplaySummary, replay_dead_letters
from consumers.oneroster.settings import WriterSettings
from consumers.oneroster.worker import ResultsWriter

__all__ = [
    "ReplaySummary",
    "ResultPlan",
    "ResultsWriter",
    "Skip",
    "Write",
    "WriterMetrics",
    "WriterSettings",
    "plan",
    "replay_dead_letters",
]
