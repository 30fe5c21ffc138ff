"""The single-pass PNG writer gives savefig's bytes; in-cell counts never move the layout."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.figure import Figure

from eng5_runner.reports import plots
from eng5_runner.reports.alignment import build_alignment
from eng5_runner.reports.boundary import build_boundary
from eng5_runner.settings.models import ReportTargets
from tests.reports.builders import Recorder, essay
from tests.reports.test_report_alignment import ANCHORS, small_case
from tests.reports.test_report_boundary import PAIRS, records

GRADES = ["A", "B", "C+", "C-", "D+", "D-", "E+", "E-", "F+"]


def _many_anchors(n: int, rounds: int) -> Any:
    """n anchors, every pair judged ``rounds`` times, 20 % upsets: counts up to 3 digits."""
    anchors = [essay(f"anchor-{i:02d}", GRADES[i * len(GRADES) // n]) for i in range(n)]
    rng = np.random.default_rng(0)
    rec = Recorder()
    for i in range(n):
        for j in range(i + 1, n):
            for _ in range(rounds):
                rec.won(anchors[i], anchors[j], "A" if rng.random() < 0.8 else "B")
    return build_alignment(
        rec.records, anchors, grade_scale="eng5_np_legacy_9_step", targets=ReportTargets()
    )


def _figures() -> list[tuple[str, Callable[[], Figure]]]:
    small = build_alignment(
        small_case().records, ANCHORS, grade_scale="eng5_np_legacy_9_step", targets=ReportTargets()
    )
    big = _many_anchors(14, 130)
    bound = build_boundary(records().records, PAIRS, targets=ReportTargets())
    wins = [p.stats.win for p in bound.pairs] + [bound.pooled.win]
    names = [p.higher for p in bound.pairs] + ["pooled"]
    return [
        ("bt_scale", lambda: plots._bt_scale(small)),
        ("win_matrix", lambda: plots._win_matrix(small)),
        ("win_matrix_big", lambda: plots._win_matrix(big)),
        ("forest", lambda: plots._forest(names, wins, "title", 0.7)),
    ]


@pytest.mark.parametrize(("name", "build"), _figures())
def test_single_draw_writes_savefig_bytes(
    name: str, build: Callable[[], Figure], tmp_path: Path
) -> None:
    expected = io.BytesIO()
    build().savefig(expected, format="png", dpi=plots.DPI)  # lays out, then draws again
    written = plots._save(build(), tmp_path / f"{name}.png")
    assert written.read_bytes() == expected.getvalue()


@pytest.mark.parametrize("n", [4, 14])
def test_counts_left_out_of_the_layout_change_no_pixel(n: int) -> None:
    result = _many_anchors(n, 130)
    fast = plots._win_matrix(result)
    laid_out = plots._win_matrix(result)
    for text in laid_out.axes[0].texts:
        text.set_in_layout(True)
    fast.canvas.draw()
    laid_out.canvas.draw()
    assert fast.axes[0].get_position().bounds == laid_out.axes[0].get_position().bounds
    assert bytes(fast.canvas.buffer_rgba()) == bytes(laid_out.canvas.buffer_rgba())
