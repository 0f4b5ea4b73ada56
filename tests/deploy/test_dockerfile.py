"""deploy/Dockerfile: no Docker engine here, so the rules are checked on the text."""

from __future__ import annotations

import re
import tomllib

from tests.deploy.manifests import DEPLOY, REPO_ROOT

DOCKERFILE = DEPLOY / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def _final_stage() -> list[tuple[str, str]]:
    instructions = _instructions()
    last_from = max(i for i, (op, _) in enumerate(instructions) if op == "FROM")
    return instructions[last_from:]


def test_runs_as_a_non_root_user() -> None:
    users = [arg for op, arg in _final_stage() if op == "USER"]
    assert users, "no USER in the final stage"
    assert users[-1].split(":")[0] not in {"root", "0"}


def test_slim_base_and_a_healthcheck() -> None:
    stage = _final_stage()
    assert "slim" in stage[0][1]
    assert any(op == "HEALTHCHECK" for op, _ in stage)


def test_copies_only_what_exists() -> None:
    for op, arg in _instructions():
        if op == "COPY" and not arg.startswith("--from"):
            for source in arg.split()[:-1]:
                assert (REPO_ROOT / source).exists(), source


def _packages() -> list[str]:
    """What the wheel is built from (pyproject.toml): the image must hold all of it."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    wheel = project["tool"]["hatch"]["build"]["targets"]["wheel"]
    packages: list[str] = wheel["packages"]
    return [*packages, *wheel.get("force-include", {})]


def test_the_build_stage_copies_every_package_of_the_wheel() -> None:
    # The CLI (caliper_pipeline) missing would build an image without `caliper-pipeline`.
    copied = {arg.split()[0] for op, arg in _instructions() if op == "COPY"}
    for package in _packages():
        assert package in copied, f"Dockerfile does not COPY {package}"


def test_dockerignore_beside_the_dockerfile_keeps_the_sources() -> None:
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text()
    for needed in ("pyproject.toml", *(f"{p}/" for p in _packages())):
        assert f"!{needed}" in ignore, needed
