"""Plots at any n: per-grade figures above the threshold, capped sizes, bounded memory."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from eng5_runner.handlers.anchor_align import AnchorAlignHandler
from eng5_runner.inputs.inventory import RunnerInventory
from eng5_runner.output.paths import RunnerPaths
from eng5_runner.reports import plots

REPO = Path(__file__).resolve().parents[2]

#: Builds a synthetic 2,000-anchor result (no judging, no fit), draws both plots and
#: prints the PNG sizes and this process's peak RSS (KiB, VmHWM).
_DRAW = """
import json, sys
from pathlib import Path
import numpy as np
from eng5_runner.reports.alignment import build_alignment
from eng5_runner.reports.plots import write_alignment_plots
from eng5_runner.settings.models import ReportTargets
from tests.reports.test_report_alignment import ANCHORS, small_case

n = 2000
small = build_alignment(small_case().records, ANCHORS, grade_scale="eng5_np_legacy_9_step",
                        targets=ReportTargets())
row = small.anchors[0]
grades = sorted({(a.grade_rank, a.grade) for a in small.anchors})
rng = np.random.default_rng(0)
rows = []
for i in range(n):
    rank, grade = grades[i * len(grades) // n]
    theta = float(-rank + rng.normal(0, 0.5))
    rows.append(row.model_copy(update=dict(essay_id=f"e{i}", label=f"e{i}", grade=grade,
        grade_rank=rank, theta=theta, ci_low=theta - 0.8, ci_high=theta + 0.8)))
pairs = tuple(sorted({(i, (i + d) % n, 1) for i in range(n) for d in (1, 7, 31, 101, 503)}))
result = small.model_copy(update=dict(anchors=tuple(rows), n_anchors=n, pair_wins=pairs))
written = write_alignment_plots(result, Path(sys.argv[1]))
# VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child forked from a big
# pytest process would report its parent's peak
hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({"files": [p.name for p in written], "peak_kib": int(hwm.split()[1])}))
"""


def _png_size(path: Path) -> tuple[int, int]:
    width, height = struct.unpack(">II", path.read_bytes()[16:24])
    return int(width), int(height)


@pytest.mark.slow
def test_two_thousand_anchors_render_within_a_memory_bound(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", _DRAW, str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["files"] == [plots.BT_SCALE_PNG, plots.WIN_MATRIX_PNG]
    # The dense figure needed GBs from 1,000 anchors on; per-grade plots need ~200 MB,
    # most of it numpy, matplotlib and pydantic themselves.
    assert report["peak_kib"] < 400 * 1024, report
    cap = int(plots.MAX_INCHES * plots.DPI)
    for name in report["files"]:
        width, height = _png_size(tmp_path / name)
        assert width <= cap and height <= cap


def test_a_plotting_failure_is_a_warning_and_every_output_is_written(
    settings_factory,
    sample_inventory: RunnerInventory,
    run_paths: RunnerPaths,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_: object) -> Path:
        raise MemoryError("figure too large")

    monkeypatch.setattr(plots, "_save", broken)
    settings = settings_factory("experiment=quickstart")
    assert AnchorAlignHandler().execute(settings, sample_inventory, run_paths) == 0
    report = run_paths.report.read_text(encoding="utf-8")
    assert "plots were not drawn (MemoryError: figure too large)" in report
    assert "Kendall" in report
    artefact = json.loads(run_paths.artefact.read_text(encoding="utf-8"))
    assert any("plots were not drawn" in w for w in artefact["runner_status"]["warnings"])
    assert json.loads(run_paths.summary.read_text(encoding="utf-8"))["status"] == "complete"
    assert not list(run_paths.plots_dir.glob("*.png"))


def test_a_cached_rerun_reuses_identical_plots(
    settings_factory,
    sample_inventory: RunnerInventory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = settings_factory("experiment=quickstart")
    first = RunnerPaths(tmp_path / "first").ensure()
    AnchorAlignHandler().execute(settings, sample_inventory, first)

    def no_drawing(*_: object) -> Path:
        raise AssertionError("an identical plot was drawn again")

    monkeypatch.setattr(plots, "_save", no_drawing)
    again = RunnerPaths(tmp_path / "again").ensure()
    AnchorAlignHandler().execute(settings, sample_inventory, again)
    assert "plots were not drawn" not in again.report.read_text(encoding="utf-8")
    for name in (plots.BT_SCALE_PNG, plots.WIN_MATRIX_PNG):
        assert (again.plots_dir / name).read_bytes() == (first.plots_dir / name).read_bytes()
    changed = RunnerPaths(tmp_path / "changed").ensure()  # other judgements: redrawn
    other = settings_factory("experiment=quickstart", "seed=7")
    AnchorAlignHandler().execute(other, sample_inventory, changed)
    assert "an identical plot was drawn again" in changed.report.read_text(encoding="utf-8")
