"""Idling between polls, so that records gather at the broker and one fetch brings many.

A consumer that polls again as soon as it has processed a batch sends a fetch for every
handful of records. Apache Kafka answers those cheaply. The embedded broker walks every
batch it stores on each fetch, so its cost per fetch grows as `up` runs
(benchmarks/broker_fetch.py), and two eager consumers keep its core busy and slow the front
door's produce acknowledgements. So after a batch that was not full, a consumer may idle
first (Spring Kafka's `idleBetweenPolls`). A full batch means a backlog: the next poll
follows at once.
"""

from __future__ import annotations

import asyncio
import contextlib


async def idle_between_polls(stop: asyncio.Event, batch: int, full: int, idle_ms: int) -> None:
    """Wait `idle_ms` after a batch of `batch` records when it held fewer than `full`
    (and was not empty: an empty poll has already waited); less if `stop` is set."""
    if idle_ms <= 0 or not 0 < batch < full or stop.is_set():
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), idle_ms / 1000)
