"""``report.baseline``: metric deltas and pairwise regressions against an earlier run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eng5_runner.errors import InputError
from eng5_runner.handlers.anchor_align import AnchorAlignHandler
from eng5_runner.inputs.inventory import RunnerInventory
from eng5_runner.output.paths import RunnerPaths
from eng5_runner.reports.baseline import compare_with_baseline


def _artefact(thetas: dict[str, tuple[str, float]], tau: float) -> dict:
    return {
        "metrics": {"tau_b": tau},
        "metadata": {"run_signature": "abc"},
        "bt_summary": [
            {"essay_id": eid, "label": eid.upper(), "grade": g, "theta": t, "is_anchor": True}
            for eid, (g, t) in thetas.items()
        ],
    }


def test_regressions_and_improvements_by_pair() -> None:
    before = _artefact({"a": ("A", 2.0), "b": ("B", 1.0), "c": ("C+", -1.0), "d": ("C-", 0.5)}, 0.6)
    after = _artefact({"a": ("A", 0.5), "b": ("B", 1.0), "c": ("C+", 0.8), "d": ("C-", -2.0)}, 0.7)
    cmp = compare_with_baseline(after, before, Path("/runs/old"))
    assert set(cmp.regressions) == {("A", "B"), ("A", "C")}
    assert cmp.improvements == (("C", "D"),)
    (delta,) = cmp.deltas
    assert delta.delta == pytest.approx(0.1)


def test_baseline_run_through_the_handler(
    settings_factory, sample_inventory: RunnerInventory, tmp_path: Path
) -> None:
    first = RunnerPaths(tmp_path / "first").ensure()
    AnchorAlignHandler().execute(settings_factory("experiment=quickstart"), sample_inventory, first)
    second = RunnerPaths(tmp_path / "second").ensure()
    settings = settings_factory(
        "experiment=quickstart", "judge.simulated.noise=2.5", f"report.baseline={first.run_dir}"
    )
    AnchorAlignHandler().execute(settings, sample_inventory, second)
    assert "## Compared with the baseline" in second.report.read_text()
    summary = json.loads(second.summary.read_text())
    artefact = json.loads(second.artefact.read_text())
    regressions = artefact["extra"]["baseline"]["regressions"]
    assert summary["metrics"]["baseline_regressions"] == len(regressions) > 0


def test_missing_baseline_fails_before_judging(
    settings_factory, sample_inventory, run_paths: RunnerPaths, tmp_path: Path
) -> None:
    settings = settings_factory("experiment=quickstart", f"report.baseline={tmp_path}/nope")
    with pytest.raises(InputError, match="report.baseline=.*no artefact.json"):
        AnchorAlignHandler().execute(settings, sample_inventory, run_paths)
    assert not run_paths.comparisons.exists()
