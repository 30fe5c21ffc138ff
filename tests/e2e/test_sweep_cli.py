"""Multirun sweeps by subprocess: leaderboard, failure tolerance, joblib."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.helpers.cli import clean_env, run_runner

pytestmark = pytest.mark.slow


def _sweep(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_runner(
        "-m",
        "experiment=quickstart",
        f"hydra.sweep.dir={tmp_path}/sweep",
        f"cache.path={tmp_path}/store.sqlite",
        "show_progress=false",
        *args,
        cwd=tmp_path,
        env=clean_env(tmp_path, COLUMNS="200"),
        timeout=600,
    )


def test_two_variant_sweep_writes_a_two_row_summary(tmp_path: Path) -> None:
    out = _sweep(tmp_path, "system_prompt=001_baseline,002_language_first")
    assert out.returncode == 0, out.stderr
    data = json.loads((tmp_path / "sweep" / "sweep_summary.json").read_text())
    assert [row["varying"] for row in data["rows"]] == [
        ["system_prompt=001_baseline"],
        ["system_prompt=002_language_first"],
    ]
    assert (tmp_path / "sweep" / "leaderboard.png").is_file()


def test_a_failing_job_does_not_stop_the_sweep(tmp_path: Path) -> None:
    out = _sweep(tmp_path, "judge.temperature=0.1,hot,0.3", "hydra/launcher=joblib")
    assert out.returncode == 1
    data = json.loads((tmp_path / "sweep" / "sweep_summary.json").read_text())
    statuses = sorted(row["status"] for row in data["rows"])
    assert statuses == ["error", "success", "success"]
    assert "1 of 3 sweep jobs failed" in out.stderr
    assert "Traceback" not in out.stderr


def test_submitit_local_launcher_runs_the_sweep(tmp_path: Path) -> None:
    out = _sweep(
        tmp_path,
        "system_prompt=001_baseline,003_holistic_examiner",
        "hydra/launcher=submitit_local",
    )
    assert out.returncode == 0, out.stderr
    data = json.loads((tmp_path / "sweep" / "sweep_summary.json").read_text())
    assert len(data["rows"]) == 2 and {r["status"] for r in data["rows"]} == {"success"}
