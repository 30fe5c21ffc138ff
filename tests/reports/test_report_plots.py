"""Plots: files are written atomically and are valid PNGs."""

from __future__ import annotations

from pathlib import Path

from eng5_runner.reports.alignment import build_alignment
from eng5_runner.reports.boundary import build_boundary
from eng5_runner.reports.plots import write_alignment_plots, write_boundary_plots
from eng5_runner.settings.models import ReportTargets
from tests.reports.builders import Recorder, essay
from tests.reports.test_report_alignment import ANCHORS, small_case
from tests.reports.test_report_boundary import PAIRS, records

PNG = b"\x89PNG\r\n\x1a\n"


def _assert_pngs(paths: list[Path], directory: Path, names: list[str]) -> None:
    assert [p.name for p in paths] == names
    for path in paths:
        data = path.read_bytes()
        assert data.startswith(PNG) and len(data) > 1000
    assert sorted(p.name for p in directory.iterdir()) == sorted(names)  # no temp files left


def test_alignment_plots(tmp_path: Path) -> None:
    result = build_alignment(
        small_case().records, ANCHORS, grade_scale="eng5_np_legacy_9_step", targets=ReportTargets()
    )
    paths = write_alignment_plots(result, tmp_path / "plots")
    _assert_pngs(paths, tmp_path / "plots", ["bt_scale.png", "win_matrix.png"])


def test_alignment_plots_without_a_fit(tmp_path: Path) -> None:
    rec = Recorder()
    rec.failed(ANCHORS[0], ANCHORS[1])
    result = build_alignment(
        rec.records, ANCHORS, grade_scale="eng5_np_legacy_9_step", targets=ReportTargets()
    )
    paths = write_alignment_plots(result, tmp_path)
    _assert_pngs(paths, tmp_path, ["win_matrix.png"])


def test_boundary_plots(tmp_path: Path) -> None:
    result = build_boundary(records().records, PAIRS, targets=ReportTargets())
    paths = write_boundary_plots(result, tmp_path)
    _assert_pngs(paths, tmp_path, ["boundary_win_rates.png", "boundary_slot_a.png"])
    assert write_boundary_plots(build_boundary([], [], targets=ReportTargets()), tmp_path) == []


def test_one_anchor_has_no_win_matrix(tmp_path: Path) -> None:
    result = build_alignment(
        [], [essay("solo", "A")], grade_scale="eng5_np_legacy_9_step", targets=ReportTargets()
    )
    assert write_alignment_plots(result, tmp_path) == []
