"""Integration tests of the facts aggregator: real broker, real stores."""
