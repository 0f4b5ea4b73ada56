"""Creating the topics a consumer writes to: never rely on the broker's auto-creation."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Final

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

logger = logging.getLogger(__name__)

# Kafka's error code for "topic already exists": expected on every restart.
TOPIC_ALREADY_EXISTS: Final = 36


class TopicError(Exception):
    """A topic could not be created."""


async def create_topics(admin: AIOKafkaAdminClient, topics: Sequence[NewTopic]) -> None:
    """Create `topics` with their partitions and configs; existing ones are left alone."""
    response = await admin.create_topics(list(topics))
    for entry in response.to_object()["topic_errors"]:
        code = entry["error_code"]
        if code == TOPIC_ALREADY_EXISTS:
            logger.debug("topic %s already exists", entry["topic"])
        elif code != 0:
            raise TopicError(f"cannot create topic {entry['topic']}: error {code}")
        else:
            logger.info("created topic %s", entry["topic"])
