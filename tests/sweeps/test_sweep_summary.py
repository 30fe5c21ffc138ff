"""The sweep leaderboard, rebuilt from job directories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eng5_runner.reports.sweep import collect_sweep, write_sweep_summary
from eng5_runner.reports.sweep_cli import main as summary_main


def _job(
    root: Path,
    name: str,
    overrides: list[str],
    tau: float | None,
    *,
    met: bool = True,
    error: str | None = None,
) -> None:
    job = root / name
    job.mkdir(parents=True)
    (job / "manifest.json").write_text(
        json.dumps({"overrides": overrides, "mode": "anchor-align-test"})
    )
    if tau is not None:
        (job / "summary.json").write_text(
            json.dumps(
                {
                    "mode": "anchor-align-test",
                    "status": "complete",
                    "metrics": {"tau_b": tau, "direct_inversions": 3 - round(tau * 3)},
                    "targets": {"tau_upstream_min": met},
                    "targets_met": met,
                    "comparisons": 66,
                    "failures": 0,
                    "tokens": 1000,
                    "cost_usd": 0.01,
                    "new_cost_usd": 0.004,
                }
            )
        )
    if error:
        (job / "error.json").write_text(
            json.dumps(
                {"status": "error", "error_type": "ConfigError", "message": error, "exit_code": 2}
            )
        )


@pytest.fixture
def sweep(tmp_path: Path) -> Path:
    root = tmp_path / "sweep"
    common = ["experiment=quickstart"]
    _job(root, "0_a", [*common, "system_prompt=a"], 0.80, met=False)
    _job(root, "1_b", [*common, "system_prompt=b"], 0.95)
    _job(root, "2_c", [*common, "system_prompt=c"], None, error="judge.temperature=hot: bad")
    return root


def test_rows_sorted_with_varying_overrides(sweep: Path) -> None:
    summary = collect_sweep(sweep, sort_by="tau_b")
    assert [row.job for row in summary.rows] == ["1_b", "0_a", "2_c"]
    assert summary.rows[0].variant == "system_prompt=b"
    assert [row.status for row in summary.rows] == ["success", "success", "error"]


def test_lower_is_better_metrics_sort_ascending(sweep: Path) -> None:
    summary = collect_sweep(sweep, sort_by="direct_inversions")
    assert summary.rows[0].job == "1_b"


def test_written_files_list_the_failure(sweep: Path) -> None:
    paths = write_sweep_summary(collect_sweep(sweep), gate="all")
    names = {p.name for p in paths}
    assert names == {
        "sweep_summary.md",
        "sweep_summary.csv",
        "sweep_summary.json",
        "sweep_summary.html",
        "leaderboard.png",
    }
    markdown = (sweep / "sweep_summary.md").read_text()
    assert "## Failed jobs" in markdown and "judge.temperature=hot" in markdown
    assert "Gate `sweep.gate=all`: **FAILED**" in markdown
    data = json.loads((sweep / "sweep_summary.json").read_text())
    assert len(data["rows"]) == 3 and data["gate_passed"] is False
    assert (sweep / "sweep_summary.csv").read_text().count("\n") == 4
    assert data["rows"][0]["new_cost_usd"] == 0.004


@pytest.mark.parametrize("rule,passed", [("any", True), ("all", False), ("none", True)])
def test_gate_rules(sweep: Path, rule: str, passed: bool) -> None:
    assert collect_sweep(sweep).gate_passed(rule) is passed  # type: ignore[arg-type]


def test_cli_rebuilds_and_exits_non_zero_on_failed_jobs(sweep: Path) -> None:
    with pytest.raises(SystemExit) as info:
        summary_main([str(sweep)])
    assert info.value.code == 1
    assert (sweep / "sweep_summary.md").is_file()


def test_cli_rejects_a_missing_dir(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as info:
        summary_main([str(tmp_path / "nope")])
    assert info.value.code == 2
