"""Health of a consumer process, answered by its event loop: `/healthz` and `/readyz`."""

from consumers.health.progress import Monitored, Progress
from consumers.health.server import HealthServer
from consumers.health.service import WithHealth

__all__ = ["HealthServer", "Monitored", "Progress", "WithHealth"]
