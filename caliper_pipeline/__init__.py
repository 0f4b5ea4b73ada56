"""The program's shell and its one composition root: CLI, `up`, runtime, Kafka settings.

It imports the product packages (`ingest`, `consumers`, `validators`); none of them
imports it.
"""
