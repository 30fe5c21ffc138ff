"""Intervals on the headline numbers, self-consistency, honest thresholds, BT convergence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eng5_runner.handlers.anchor_align import AnchorAlignHandler
from eng5_runner.inputs.inventory import RunnerInventory
from eng5_runner.output.paths import RunnerPaths
from eng5_runner.reports import markdown as md
from eng5_runner.reports.alignment import build_alignment
from eng5_runner.reports.artefact import validate_artefact
from eng5_runner.reports.context import TargetCheck
from eng5_runner.reports.uncertainty import self_consistency
from eng5_runner.settings.models import ReportTargets
from eng5_runner.stats import bt as bt_module
from eng5_runner.stats import wilson_interval
from tests.reports.builders import Recorder, essay, perfect_round_robin

GRADES = ("A", "B", "C+", "C-", "D+", "D-")


def _anchors():  # type: ignore[no-untyped-def]
    return [essay(f"E{i}", g) for i, g in enumerate(GRADES)]


def test_alignment_carries_every_interval() -> None:
    anchors = _anchors()
    records = perfect_round_robin(anchors)
    rec = Recorder()
    rec.records = list(records)
    rec.won(anchors[5], anchors[0], "A")  # one inversion: D- beat A
    result = build_alignment(
        rec.records,
        anchors,
        grade_scale="eng5_np_legacy_9_step",
        targets=ReportTargets(),
        resamples=200,
        seed=1,
    )
    agree = result.agreement
    assert (agree.k, agree.n) == (15, 16)
    assert (agree.low, agree.high) == pytest.approx(wilson_interval(15, 16))
    assert result.tau_b is not None and result.tau_b_ci95 is not None
    low, high = result.tau_b_ci95
    assert -1 <= low <= result.tau_b <= high <= 1
    assert result.somers_d_ci95 is not None
    assert result.bootstrap is not None and result.bootstrap.resamples == 200
    assert result.bootstrap.seed == 1 and "bootstrap" in result.bootstrap.method
    # E0–E5 was judged twice, with different winners
    assert result.self_consistency is not None
    assert (result.self_consistency.k, result.self_consistency.n) == (0, 1)
    again = build_alignment(
        rec.records,
        anchors,
        grade_scale="eng5_np_legacy_9_step",
        targets=ReportTargets(),
        resamples=200,
        seed=1,
    )
    assert again.tau_b_ci95 == result.tau_b_ci95  # seeded


def test_self_consistency_counts_pairs_that_always_agree() -> None:
    # pair (x, y) judged 3 times, always x; pair (x, z) twice, split; (y, z) once: ignored
    winners = ["x", "x", "x", "x", "z", "y"]
    losers = ["y", "y", "y", "z", "x", "z"]
    result = self_consistency(winners, losers)
    assert result is not None
    assert (result.k, result.n, result.rate) == (1, 2, 0.5)
    assert (result.low, result.high) == pytest.approx(wilson_interval(1, 2))
    assert self_consistency(["x"], ["y"]) is None


def test_repeats_give_self_consistency_in_every_output(
    settings_factory, sample_inventory: RunnerInventory, run_paths: RunnerPaths
) -> None:
    settings = settings_factory(
        "experiment=quickstart", "pairing.repeats=2", "report.bootstrap.resamples=200"
    )
    AnchorAlignHandler().execute(settings, sample_inventory, run_paths)
    summary = json.loads(run_paths.summary.read_text())
    metrics = summary["metrics"]
    assert metrics["repeated_pairs"] == 66
    assert 0 < metrics["self_consistency"] <= 1
    low, high = metrics["self_consistency_ci95"]
    assert low <= metrics["self_consistency"] <= high
    for key in ("agreement_rate_ci95", "tau_b_ci95", "somers_d_ci95"):
        assert len(metrics[key]) == 2 and metrics[key][0] <= metrics[key][1]
    assert metrics["bootstrap_resamples"] == 200
    artefact = json.loads(run_paths.artefact.read_text())
    validate_artefact(artefact)
    assert artefact["metrics"]["tau_b_ci95"] == metrics["tau_b_ci95"]
    report = run_paths.report.read_text()
    assert "Self-consistency" in report and "median-centred percentile bootstrap" in report
    assert f"{metrics['tau_b']:.3f} [{metrics['tau_b_ci95'][0]:.3f}" in report


@pytest.mark.parametrize(
    ("value", "limit", "comparator", "shown"),
    [
        (0.0498, 0.05, ">=", ("0.0498", "0.0500")),
        (0.8999, 0.90, ">=", ("0.8999", "0.9000")),
        (0.9004, 0.90, ">=", ("0.9004", "0.9000")),
        (0.93, 0.90, ">=", ("0.930", "0.900")),
        (0.05, 0.05, ">=", ("0.050", "0.050")),  # equal and passing: may look equal
    ],
)
def test_a_value_never_looks_equal_to_a_threshold_it_misses(
    value: float, limit: float, comparator: str, shown: tuple[str, str]
) -> None:
    check = TargetCheck.at_least("pooled_bias_p", "p", value, limit)
    assert md.fmt_check(check) == shown
    if check.passed != (value >= limit):
        raise AssertionError("pass/fail changed")
    if not check.passed:
        assert md.fmt_check(check)[0] != md.fmt_check(check)[1]


def test_an_unconverged_fit_is_a_warning_in_report_and_artefact(
    settings_factory,
    sample_inventory: RunnerInventory,
    run_paths: RunnerPaths,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bt_module, "_MAX_NEWTON", 1)  # Newton cannot finish in one step
    settings = settings_factory("experiment=quickstart", "report.bootstrap.resamples=100")
    AnchorAlignHandler().execute(settings, sample_inventory, run_paths)
    artefact = json.loads(run_paths.artefact.read_text())
    assert artefact["analysis"]["bt"]["converged"] is False
    assert any("did not converge" in w for w in artefact["runner_status"]["warnings"])
    assert json.loads(run_paths.summary.read_text())["metrics"]["bt_converged"] == 0
    report = run_paths.report.read_text()
    assert "Not converged" in report and "⚠️" in report


def test_simulated_blocks_change_only_the_simulated_judge(settings_factory) -> None:
    sim = settings_factory(
        "experiment=quickstart",
        "system_prompt.simulated.noise=2.0",
        "rubric.simulated.position_bias=0.4",
    )
    assert sim.judge.simulated.noise == 2.0
    assert sim.judge.simulated.position_bias == 0.4
    assert sim.judge.generation_params["simulated"]["noise"] == 2.0
    plain = settings_factory("experiment=quickstart")
    real = settings_factory("judge=openai", "system_prompt.simulated.noise=2.0")
    assert real.judge.simulated == plain.judge.simulated
    assert real.judge.generation_params["simulated"] is None


def test_a_simulated_variant_is_labelled_and_changes_the_numbers(
    settings_factory, sample_inventory: RunnerInventory, tmp_path: Path
) -> None:
    sharp = RunnerPaths(tmp_path / "sharp").ensure()
    noisy = RunnerPaths(tmp_path / "noisy").ensure()
    AnchorAlignHandler().execute(
        settings_factory(
            "experiment=quickstart",
            "system_prompt.simulated.noise=0.1",
            "report.bootstrap.resamples=100",
        ),
        sample_inventory,
        sharp,
    )
    AnchorAlignHandler().execute(
        settings_factory(
            "experiment=quickstart",
            "system_prompt.simulated.noise=3.0",
            "report.bootstrap.resamples=100",
        ),
        sample_inventory,
        noisy,
    )
    a = json.loads(sharp.summary.read_text())["metrics"]
    b = json.loads(noisy.summary.read_text())["metrics"]
    assert a["agreement_rate"] > b["agreement_rate"]
    report = noisy.report.read_text()
    assert "**Simulation:**" in report and "system_prompt.simulated: noise=3.0" in report
