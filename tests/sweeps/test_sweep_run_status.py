"""Sweep jobs whose run is partial or failed are not successful, and the leaderboard says so."""

from __future__ import annotations

import json
from pathlib import Path

from eng5_runner.reports.sweep import collect_sweep, write_sweep_summary


def _job(root: Path, name: str, status: str, *, error_type: str | None = None) -> None:
    job = root / name
    job.mkdir(parents=True)
    (job / "manifest.json").write_text(json.dumps({"overrides": [f"x={name}"]}))
    metrics = {"tau_b": None if status == "failed" else 0.8}
    summary = {"mode": "anchor-align-test", "status": status, "metrics": metrics}
    (job / "summary.json").write_text(json.dumps(summary | {"targets_met": False}))
    if error_type:
        error = {"status": "error", "error_type": error_type, "message": "m", "exit_code": 4}
        (job / "error.json").write_text(json.dumps(error))


def test_partial_and_failed_jobs_are_not_successful(tmp_path: Path) -> None:
    _job(tmp_path, "0_ok", "complete")
    _job(tmp_path, "1_partial", "partial", error_type="IncompleteRun")
    _job(tmp_path, "2_failed", "failed", error_type="IncompleteRun")
    summary = collect_sweep(tmp_path)
    status = {row.job: row.status for row in summary.rows}
    assert status == {"0_ok": "success", "1_partial": "partial", "2_failed": "failed"}
    assert sorted(row.job for row in summary.failed) == ["1_partial", "2_failed"]
    write_sweep_summary(summary)
    board = (tmp_path / "sweep_summary.md").read_text()
    assert "partial" in board and "failed" in board
