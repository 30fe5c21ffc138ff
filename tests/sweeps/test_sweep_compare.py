"""The leaderboard answers "is B better than A?": reference, Δτ-b, Holm, best, sort."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from eng5_runner.handlers.anchor_align import AnchorAlignHandler
from eng5_runner.inputs.inventory import RunnerInventory
from eng5_runner.output.paths import RunnerPaths
from eng5_runner.reports.sweep import SweepSummary, collect_sweep, write_sweep_summary
from eng5_runner.reports.sweep_cli import main as summary_main
from tests.conftest import make_settings

VARIANTS = {  # job dir → the override that tells it apart
    "0": "system_prompt.simulated.noise=0.6",
    "1": "system_prompt.simulated.noise=0.05",
    "2": "system_prompt.simulated.noise=3.0",
}


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sweep")
    base = make_settings()
    inventory = RunnerInventory.load(base.dataset, base.mode)
    for job, variant in VARIANTS.items():
        overrides = ["experiment=quickstart", variant, "report.bootstrap.resamples=200"]
        paths = RunnerPaths(root / job).ensure()
        paths.manifest.write_text(json.dumps({"overrides": overrides}))
        settings = make_settings(overrides, root)
        AnchorAlignHandler().execute(settings, inventory, paths)
    return root


@pytest.fixture(scope="module")
def summary(sweep: Path) -> SweepSummary:
    return collect_sweep(sweep)


def test_every_row_is_compared_with_the_first_job(summary: SweepSummary) -> None:
    assert summary.reference == "0"
    rows = {row.job: row for row in summary.rows}
    assert rows["0"].is_reference and rows["0"].baseline is None
    for job in ("1", "2"):
        b = rows[job].baseline
        assert b is not None and b["reference"] == "0"
        assert b["matched_comparisons"] == 66
        assert b["verdict"] in ("better", "worse", "indistinguishable")
        low, high = b["delta_tau_b_ci95"]
        assert low <= b["delta_tau_b"] <= high
        assert b["mcnemar_p"] <= b["mcnemar_p_holm"] <= 1
    # the sharp judge is right wherever the default one is; the noisy one is not
    assert rows["1"].baseline["discordant_a_better"] == 0
    assert rows["2"].baseline["discordant_a_better"] > rows["2"].baseline["discordant_b_better"]
    assert rows["2"].baseline["delta_tau_b"] < 0 < rows["1"].baseline["delta_tau_b"]


def test_holm_adjusts_the_variants_together(summary: SweepSummary) -> None:
    rows = [r for r in summary.rows if r.baseline]
    ps = sorted((r.baseline["mcnemar_p"], r.baseline["mcnemar_p_holm"]) for r in rows)
    (p1, h1), (p2, h2) = ps
    assert h1 == pytest.approx(min(1.0, 2 * p1))
    assert h2 == pytest.approx(min(1.0, max(2 * p1, p2)))


def test_failing_targets_sort_below_and_best_is_marked(summary: SweepSummary) -> None:
    met = [row.targets_met for row in summary.rows]
    assert met == sorted(met, reverse=True)  # True rows first
    assert summary.rows[0].versus_best == "best"
    assert summary.rows[0].indistinguishable_from_best is True
    for row in summary.rows[1:]:
        assert row.indistinguishable_from_best == (row.versus_best == "indistinguishable")


def test_the_reference_can_be_named_by_override_or_job(sweep: Path) -> None:
    by_override = collect_sweep(sweep, reference=VARIANTS["2"])
    assert by_override.reference == "2"
    assert collect_sweep(sweep, reference="1").reference == "1"
    with pytest.raises(ValueError, match="sweep.reference=nope matches no job"):
        collect_sweep(sweep, reference="nope")


def test_the_files_carry_the_fields(sweep: Path, summary: SweepSummary) -> None:
    paths = write_sweep_summary(summary)
    assert {p.name for p in paths} >= {"sweep_summary.csv", "leaderboard.png"}
    data = json.loads((sweep / "sweep_summary.json").read_text())
    assert data["reference"] == "0"
    noisy = next(r for r in data["rows"] if r["job"] == "2")
    for key in (
        "run_dir",
        "matched_comparisons",
        "delta_tau_b",
        "delta_tau_b_ci95",
        "mcnemar_p",
        "discordant_b_better",
        "discordant_a_better",
        "verdict",
        "mcnemar_p_holm",
    ):
        assert key in noisy["baseline"]
    assert len(noisy["metrics"]["tau_b_ci95"]) == 2
    with (sweep / "sweep_summary.csv").open() as handle:
        rows = {r["job"]: r for r in csv.DictReader(handle)}
    assert rows["0"]["verdict"] == "reference"
    assert rows["2"]["verdict"] == noisy["baseline"]["verdict"]
    assert json.loads(rows["2"]["delta_tau_b_ci95"]) == noisy["baseline"]["delta_tau_b_ci95"]
    assert json.loads(rows["2"]["tau_b_ci95"]) == noisy["metrics"]["tau_b_ci95"]
    page = (sweep / "sweep_summary.md").read_text()
    assert "## Against the reference" in page
    assert f"`{VARIANTS['2']}` is " in page and "McNemar p" in page


def test_cli_rejects_an_unknown_reference(sweep: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        summary_main([str(sweep), "--reference", "nope"])
    assert exc.value.code == 2
    assert "sweep.reference=nope" in capsys.readouterr().err


def test_the_first_job_is_the_lowest_job_number() -> None:
    from eng5_runner.reports.sweep_compare import job_order

    names = ["10_anchor-align-test_x", "2_anchor-align-test_y", "custom", "0_a"]
    assert sorted(names, key=job_order) == [
        "0_a",
        "2_anchor-align-test_y",
        "10_anchor-align-test_x",
        "custom",
    ]
