"""Where each partition ends, as a fetch sees it.

ListOffsets(latest) is what `end_offsets` asks, and the embedded broker answers it with
a stale offset (the base of an earlier batch: see BROKER.md), so a reader that stops
there stops early. Every fetch response carries the partition's high watermark on
every broker, so a throwaway consumer fetches once from the listed end and we take the
larger of the two: on Apache Kafka both agree.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaTimeoutError

from consumers.kafka import KafkaOptions

_POLL_MS = 100


async def end_offsets(
    kafka: KafkaOptions, tps: Sequence[TopicPartition], *, timeout_s: float = 10.0
) -> dict[TopicPartition, int]:
    """The offset after each partition's last record (its high watermark)."""
    if not tps:
        return {}
    probe = AIOKafkaConsumer(**kafka, group_id=None, enable_auto_commit=False)
    await probe.start()
    try:
        listed: dict[TopicPartition, int] = await probe.end_offsets(list(tps))
        probe.assign(list(tps))
        for tp in tps:
            probe.seek(tp, listed[tp])
        deadline = time.monotonic() + timeout_s
        while any(probe.highwater(tp) is None for tp in tps):
            if time.monotonic() > deadline:
                raise KafkaTimeoutError(f"no fetch answered for {list(tps)} in {timeout_s} s")
            await probe.getmany(timeout_ms=_POLL_MS, max_records=1)
        return {tp: max(listed[tp], probe.highwater(tp) or 0) for tp in tps}
    finally:
        await probe.stop()
