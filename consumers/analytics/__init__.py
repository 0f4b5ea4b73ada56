"""The read side: the aggregator's facts over HTTP in the Edubridge Analytics API's shape."""
