"""A run stopped by a config or input error leaves no directory, unless it held other files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eng5_runner.output.discard import discard_run_dir
from eng5_runner.output.paths import RunnerPaths
from eng5_runner.run import run_from_cfg
from tests.conftest import compose_cfg


def _bookkeeping(run_dir: Path) -> None:
    (run_dir / ".hydra").mkdir(parents=True)
    (run_dir / ".hydra" / "config.yaml").write_text("a: 1\n")
    (run_dir / "eng5.log").write_text("")


def test_only_bookkeeping_is_removed(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    _bookkeeping(run_dir)
    (run_dir / "manifest.json").write_text("{}")
    assert discard_run_dir(run_dir) and not run_dir.exists()


def test_a_directory_with_other_files_is_kept(tmp_path: Path) -> None:
    run_dir = tmp_path / "mine"
    _bookkeeping(run_dir)
    (run_dir / "notes.txt").write_text("my notes")
    assert not discard_run_dir(run_dir)
    assert (run_dir / "notes.txt").read_text() == "my notes"


def test_single_run_config_error_leaves_nothing_but_a_sweep_job_keeps_error_json(
    tmp_path: Path,
) -> None:
    cfg = compose_cfg(["judge.temperature=hot"])
    single = tmp_path / "single"
    with pytest.raises(SystemExit) as info:
        run_from_cfg(cfg, single, [])
    assert info.value.code == 2 and not single.exists()
    job = tmp_path / "job"
    assert run_from_cfg(cfg, job, [], multirun=True) == 2
    assert json.loads(RunnerPaths(job).error.read_text())["exit_code"] == 2
