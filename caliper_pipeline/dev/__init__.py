"""Development servers of `up` and the tests: embedded broker, local issuer, fake OneRoster.

Not on the product path: `serve`, `aggregate` and `results` never import them.
"""
