"""A OneRoster 1.2 gradebook server for development and tests (in memory)."""

from caliper_pipeline.dev.oneroster.app import DevOneRoster
from caliper_pipeline.dev.oneroster.faults import Fault
from caliper_pipeline.dev.oneroster.server import DEV_CLIENT_ID, DEV_CLIENT_SECRET, DevServer

__all__ = ["DEV_CLIENT_ID", "DEV_CLIENT_SECRET", "DevOneRoster", "DevServer", "Fault"]
