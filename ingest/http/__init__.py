"""HTTP side of the front door: app factory, routes, body reading, limits, errors on the wire."""
