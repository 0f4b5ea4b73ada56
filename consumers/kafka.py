"""The Kafka connection the consumers are given."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# aiokafka client keyword arguments (bootstrap servers, client id, SASL, TLS): the shell
# builds them from its Kafka settings, so the consumers never read the environment.
KafkaOptions = Mapping[str, Any]
