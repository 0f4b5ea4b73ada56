"""A OneRoster 1.2 gradebook server for development and tests (in memory)."""

from consumers.oneroster.devserver.app import DevOneRoster
from consumers.oneroster.devserver.faults import Fault
from consumers.oneroster.devserver.server import DEV_CLIENT_ID, DEV_CLIENT_SECRET, DevServer

__all__ = ["DEV_CLIENT_ID", "DEV_CLIENT_SECRET", "DevOneRoster", "DevServer", "Fault"]
