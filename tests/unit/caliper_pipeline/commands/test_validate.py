"""`caliper-pipeline validate`: one JSON line per file and the documented exit codes."""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from caliper_pipeline.commands import validate as validate_command
from tests.conftest import REPO_ROOT

BROKEN = b'{"sensor": "https://a.example", "sendTime": "now", "dataVersion": "x", "data": []}'


def run(*paths: str) -> tuple[int, list[dict[str, object]]]:
    parser = argparse.ArgumentParser()
    validate_command.add_arguments(parser)
    out = io.BytesIO()
    status = validate_command.run(parser.parse_args(list(paths)), out)
    return status, [orjson.loads(line) for line in out.getvalue().splitlines()]


@pytest.fixture
def example(conformance_dir: Path) -> str:
    return str(conformance_dir / "timeback-clients" / "seed-example1.json")


def test_valid_file(example: str) -> None:
    assert run(example) == (0, [{"file": example, "valid": True, "errors": []}])


def test_invalid_file(tmp_path: Path, example: str) -> None:
    broken = tmp_path / "broken.json"
    broken.write_bytes(BROKEN)
    status, lines = run(example, str(broken))
    assert status == 1
    assert [line["valid"] for line in lines] == [True, False]
    codes = {e["code"] for e in lines[1]["errors"]}  # type: ignore[attr-defined]
    assert codes == {"invalid_datetime", "unsupported_data_version", "empty_data"}


def test_malformed_json_is_invalid(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_bytes(b"{not json")
    status, lines = run(str(broken))
    assert status == 1
    assert lines[0]["errors"][0]["code"] == "invalid_json"  # type: ignore[index]


def test_unreadable_file_exits_2(tmp_path: Path, example: str) -> None:
    status, lines = run(example, str(tmp_path / "missing.json"))
    assert status == 2
    assert lines[1]["errors"][0]["code"] == "unreadable_file"  # type: ignore[index]


def test_console_script_reads_stdin() -> None:
    script = shutil.which("caliper-pipeline", path=str(Path(sys.executable).parent))
    assert script is not None, "the console script is installed by `pip install -e .`"
    done = subprocess.run(
        [script, "validate", "-"], input=BROKEN, capture_output=True, check=False, cwd=REPO_ROOT
    )
    assert done.returncode == 1, done.stderr
    assert orjson.loads(done.stdout)["file"] == "-"


def test_console_script_usage_error_exits_2() -> None:
    script = shutil.which("caliper-pipeline", path=str(Path(sys.executable).parent))
    assert script is not None
    done = subprocess.run([script, "validate"], capture_output=True, check=False)
    assert done.returncode == 2
