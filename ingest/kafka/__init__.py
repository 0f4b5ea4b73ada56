"""Kafka side of the front door: records, partitioning, group commit and the publisher."""
