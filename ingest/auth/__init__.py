"""Who may post: bearer-token (JWT/JWKS) verification, scopes and per-client rate limits."""
