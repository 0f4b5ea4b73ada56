"""yamllint over every YAML file in deploy/ (the configuration lives here, not in a dotfile)."""

from __future__ import annotations

from pathlib import Path

import pytest
from yamllint import linter
from yamllint.config import YamlLintConfig

from tests.deploy.manifests import DEPLOY

# Defaults, with the long lines PromQL and shell need and no `---` required at the top.
CONFIG = YamlLintConfig(
    """
extends: default
rules:
  line-length: {max: 140}
  document-start: disable
  truthy: {check-keys: false}
  comments: {min-spaces-from-content: 1}
"""
)


def _yaml_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.suffix in {".yml", ".yaml"})


def test_there_is_yaml_to_lint() -> None:
    assert len(_yaml_files()) >= 10


@pytest.mark.parametrize("path", _yaml_files(), ids=lambda p: str(p.relative_to(DEPLOY)))
def test_yamllint(path: Path) -> None:
    problems = [
        f"{path.name}:{p.line}:{p.column} {p.level} {p.desc} ({p.rule})"
        for p in linter.run(path.read_text(), CONFIG, str(path))
    ]
    assert not problems, "\n".join(problems)
