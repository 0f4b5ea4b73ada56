"""The facts aggregator: caliper.events -> exact Timeback facts and daily totals."""

from consumers.aggregator.command import serve
from consumers.aggregator.facts import Fact, FactError, to_fact
from consumers.aggregator.folding import Totals, fold
from consumers.aggregator.metrics import AggregatorMetrics
from consumers.aggregator.settings import AggregatorSettings
from consumers.aggregator.store import Store, StoreError, open_store
from consumers.aggregator.worker import Aggregator

__all__ = [
    "Aggregator",
    "AggregatorMetrics",
    "AggregatorSettings",
    "Fact",
    "FactError",
    "Store",
    "StoreError",
    "Totals",
    "fold",
    "open_store",
    "serve",
    "to_fact",
]
