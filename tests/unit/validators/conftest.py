"""Every test here that takes `validator` runs once per engine: the rules, the codes and
the conformance results must not depend on which engine decides valid/invalid."""

from __future__ import annotations

import pytest

from validators import EnvelopeValidator
from validators.engines import ENGINES


@pytest.fixture(scope="session", params=ENGINES)
def validator(request: pytest.FixtureRequest) -> EnvelopeValidator:
    engine = request.param
    built = EnvelopeValidator(engine=engine)
    assert built.engine == engine, "the native engine is installed in this venv"
    return built
