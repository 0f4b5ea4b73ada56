"""The OneRoster results writer: `process: true` activity events become assessment results."""
