"""The facts aggregator: caliper.events -> exact Timeback facts and daily totals."""
