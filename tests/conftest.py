"""Fixtures shared by every tier: the conformance corpora and a validator."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
import pytest

from validators import EnvelopeValidator

REPO_ROOT = Path(__file__).resolve().parents[1]


def conformance_root() -> Path:
    """../shared/conformance beside the checkout, or CALIPER_CONFORMANCE_DIR."""
    configured = os.environ.get("CALIPER_CONFORMANCE_DIR")
    return Path(configured) if configured else REPO_ROOT.parent / "shared" / "conformance"


@pytest.fixture(scope="session")
def conformance_dir() -> Path:
    root = conformance_root()
    if not root.is_dir():
        message = f"conformance corpora not found at {root} (set CALIPER_CONFORMANCE_DIR)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return root


@pytest.fixture(scope="session")
def validator() -> EnvelopeValidator:
    return EnvelopeValidator()


@pytest.fixture
def seed_envelope(conformance_dir: Path) -> dict[str, Any]:
    """The Timeback documentation's first example envelope (one ActivityEvent)."""
    data: dict[str, Any] = orjson.loads(
        (conformance_dir / "timeback-clients" / "seed-example1.json").read_bytes()
    )
    return data
