"""Prometheus's `prometheus` and `promtool`, installed from Debian when missing.

CI runs on a fresh machine as root: there `apt-get install -y prometheus` provides both
(with `apt-get update` first when the package lists are stale). Elsewhere, without root
and without the tools, the tests that need them skip and say why; in CI they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

_INSTALL_TIMEOUT_S = 600


@dataclass(frozen=True)
class PrometheusTools:
    prometheus: Path
    promtool: Path


def _found() -> PrometheusTools | None:
    prometheus, promtool = shutil.which("prometheus"), shutil.which("promtool")
    if prometheus and promtool:
        return PrometheusTools(Path(prometheus), Path(promtool))
    return None


def _apt_get(*args: str) -> bool:
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(
        ["apt-get", *args],
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=_INSTALL_TIMEOUT_S,
        check=False,
    )
    return done.returncode == 0


def _unavailable(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def prometheus_tools() -> PrometheusTools:
    tools = _found()
    if tools is not None:
        return tools
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        _unavailable(
            "prometheus/promtool not installed and cannot install them (needs root and "
            "apt-get): run `apt-get install -y prometheus`"
        )
    # Install first: `apt-get update` costs time and is needed only on stale lists.
    if not _apt_get("install", "-y", "--no-install-recommends", "prometheus"):
        _apt_get("update")
        _apt_get("install", "-y", "--no-install-recommends", "prometheus")
    tools = _found()
    if tools is None:
        pytest.fail("`apt-get install -y prometheus` did not provide prometheus and promtool")
    return tools
