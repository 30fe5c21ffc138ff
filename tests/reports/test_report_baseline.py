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


def _two_runs(settings_factory, inventory, tmp_path: Path, *second: str):  # type: ignore[no-untyped-def]
    first = RunnerPaths(tmp_path / "first").ensure()
    fast = "report.bootstrap.resamples=200"
    AnchorAlignHandler().execute(settings_factory("experiment=quickstart", fast), inventory, first)
    other = RunnerPaths(tmp_path / "second").ensure()
    settings = settings_factory(
        "experiment=quickstart", fast, *second, f"report.baseline={first.run_dir}"
    )
    AnchorAlignHandler().execute(settings, inventory, other)
    return first, other


def test_the_same_run_again_is_indistinguishable(
    settings_factory, sample_inventory: RunnerInventory, tmp_path: Path, capsys
) -> None:
    first, second = _two_runs(settings_factory, sample_inventory, tmp_path)
    baseline = json.loads(second.summary.read_text())["baseline"]
    assert baseline == {
        "run_dir": str(first.run_dir),
        "matched_comparisons": 66,
        "delta_tau_b": 0.0,
        "delta_tau_b_ci95": [0.0, 0.0],
        "mcnemar_p": 1.0,
        "discordant_b_better": 0,
        "discordant_a_better": 0,
        "verdict": "indistinguishable",
        "reason": None,
    }
    artefact = json.loads(second.artefact.read_text())
    assert artefact["baseline"] == baseline
    report = second.report.read_text()
    assert "**This run and the baseline are indistinguishable: Δτ-b = +0.000" in report
    assert "| direct_inversions | 1 | 1 | +0 | same |" in report  # counts as integers
    metric_rows = [
        line.split(" | ")[0][2:]
        for line in report.splitlines()
        if line.startswith("| ") and " | same |" in line
    ]
    assert metric_rows.index("tau_b") < metric_rows.index("direct_inversions")  # report order
    assert "indistinguishable" in capsys.readouterr().out


def test_a_changed_prompt_is_named_with_a_diff_and_a_verdict(
    settings_factory, sample_inventory: RunnerInventory, tmp_path: Path
) -> None:
    _, second = _two_runs(
        settings_factory,
        sample_inventory,
        tmp_path,
        "system_prompt=002_language_first",
        "system_prompt.simulated.noise=3.0",
    )
    report = second.report.read_text()
    assert "### What differs" in report
    assert "system_prompt: `001_baseline`" in report and "`002_language_first`" in report
    assert "```diff" in report and "+++ this run/002_language_first" in report
    assert "`simulated.noise` 0.6 → 3.0" in report
    baseline = json.loads(second.summary.read_text())["baseline"]
    assert baseline["verdict"] in ("worse", "indistinguishable")
    assert baseline["discordant_a_better"] > baseline["discordant_b_better"]
    low, high = baseline["delta_tau_b_ci95"]
    assert low <= baseline["delta_tau_b"] <= high < 0.05
