"""Who may read: the scope every endpoint needs and the hook the shell plugs in.

The token checks themselves (JWT, JWKS, issuer) are the front door's; consumers may not
import it, so the shell injects an `Authorize` that raises AuthorizationError.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

from starlette.requests import Request

SCOPE_ANALYTICS_READ_ONLY: Final = "analytics.readOnly"

Authorize = Callable[[Request], Awaitable[None]]
