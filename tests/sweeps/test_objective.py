"""The task function's return value: the run's ``sweep.objective`` metric, None if it failed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from eng5_runner.output.paths import RunnerPaths
from eng5_runner.reports.objective import run_objective

METRICS = {"tau_b": 0.81, "direct_inversions": 2, "flag": True, "nan": float("nan")}


def _paths(tmp_path: Path, status: str = "complete", error: str | None = None) -> RunnerPaths:
    paths = RunnerPaths(tmp_path / "run").ensure()
    paths.summary.write_text(json.dumps({"status": status, "metrics": METRICS}))
    if error is not None:
        paths.error.write_text(json.dumps({"status": "error", "error_type": error}))
    return paths


def test_a_finished_run_returns_its_metric(tmp_path: Path) -> None:
    paths = _paths(tmp_path)
    assert run_objective(paths, "tau_b") == pytest.approx(0.81)
    assert run_objective(paths, "direct_inversions") == 2.0


def test_a_missed_gate_still_scores(tmp_path: Path) -> None:
    assert run_objective(_paths(tmp_path, error="GateFailed"), "tau_b") == pytest.approx(0.81)


@pytest.mark.parametrize(
    ("status", "error"), [("partial", None), ("complete", "ProviderTimeout"), ("error", None)]
)
def test_failed_or_partial_runs_return_none(tmp_path: Path, status: str, error: str | None) -> None:
    assert run_objective(_paths(tmp_path, status, error), "tau_b") is None


def test_no_summary_returns_none(tmp_path: Path) -> None:
    assert run_objective(RunnerPaths(tmp_path).ensure(), "tau_b") is None  # plan, dry-run


def test_a_summary_left_by_an_earlier_run_is_ignored(tmp_path: Path) -> None:
    paths = _paths(tmp_path)
    old = time.time() - 3600
    os.utime(paths.summary, (old, old))
    assert run_objective(paths, "tau_b", since=time.time() - 10) is None


def test_unknown_or_non_numeric_metric_warns_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = _paths(tmp_path)
    for name in ("no_such_metric", "flag", "nan"):
        assert run_objective(paths, name, warn=name != "nan") is None
    shown = capsys.readouterr().out  # warnings go to stdout, like every other warning
    assert shown.count("sweep.objective=") == 2
    assert "sweep.objective=no_such_metric" in shown and "tau_b" in shown


@pytest.mark.slow
def test_optuna_best_value_is_the_best_jobs_tau_b(tmp_path: Path) -> None:
    """A 3-trial Optuna study on the simulated judge optimises the jobs' own τ-b."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "eng5_runner",
            "sweep=optuna_prompt_temperature",
            "hydra.sweeper.n_trials=3",
            "judge.simulated.noise=choice(0.2,1.0,2.5)",  # the simulated judge ignores prompts
            f"hydra.sweep.dir={tmp_path}/sweep",
            f"cache.path={tmp_path}/judgements.sqlite",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "COLUMNS": "200"},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    sweep = tmp_path / "sweep"
    results = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    taus = {
        job.parent.name: json.loads(job.read_text())["metrics"]["tau_b"]
        for job in sweep.glob("*/summary.json")
    }
    assert len(taus) == 3
    assert len(set(taus.values())) > 1, "trials should differ, else the test proves nothing"
    assert results["best_value"] == pytest.approx(max(taus.values()), abs=1e-12)
    best = f"system_prompt={results['best_params']['system_prompt']}"
    best_jobs = [job for job, tau in taus.items() if tau == max(taus.values())]  # ties happen
    assert any(
        best in json.loads((sweep / job / "manifest.json").read_text())["overrides"]
        for job in best_jobs
    )
