"""The grade palette: neighbouring grades are distinguishable, PNGs and HTML share it."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from eng5_runner.inputs.grade_scales import GRADE_SCALES
from eng5_runner.reports.palette import (
    SCALE_COLOURS,
    UNKNOWN_GRADE_COLOUR,
    grade_colour,
    grade_palette,
    rank_colour,
)


def _lab(colour: str) -> tuple[float, float, float]:
    """sRGB hex → CIELAB (D65)."""
    rgb = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [((c + 0.055) / 1.055) ** 2.4 if c > 0.04045 else c / 12.92 for c in rgb]
    x = (0.4124 * lin[0] + 0.3576 * lin[1] + 0.1805 * lin[2]) / 0.95047
    y = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    z = (0.0193 * lin[0] + 0.1192 * lin[1] + 0.9505 * lin[2]) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def delta_e(first: str, second: str) -> float:
    return sum((p - q) ** 2 for p, q in zip(_lab(first), _lab(second), strict=True)) ** 0.5


@pytest.mark.parametrize("scale", sorted(GRADE_SCALES))
def test_neighbouring_grades_are_distinguishable(scale: str) -> None:
    colours = SCALE_COLOURS[scale]
    assert len(colours) == len(GRADE_SCALES[scale]) == len(set(colours))
    for first, second in itertools.pairwise(colours):
        assert delta_e(first, second) >= 20, (scale, first, second)
    assert min(delta_e(a, b) for a, b in itertools.combinations(colours, 2)) >= 15


def test_the_old_viridis_neighbours_were_not() -> None:
    """The reported problem: C+/C-/D+ looked alike; the new ones are far apart."""
    palette = grade_palette("eng5_np_legacy_9_step")
    assert delta_e(palette["C+"], palette["C-"]) > 40
    assert delta_e(palette["C-"], palette["D+"]) > 40


def test_lookups() -> None:
    assert (
        grade_colour(" c+ ", "eng5_np_legacy_9_step")
        == grade_palette("eng5_np_legacy_9_step")["C+"]
    )
    assert grade_colour("Z", "eng5_np_legacy_9_step") == UNKNOWN_GRADE_COLOUR
    assert grade_colour(None, "full_16_step") == UNKNOWN_GRADE_COLOUR
    assert rank_colour(0, "full_16_step") == SCALE_COLOURS["full_16_step"][0]
    assert rank_colour(99, "full_16_step") == UNKNOWN_GRADE_COLOUR


def test_png_bt_scale_uses_the_palette_and_carries_the_subtitle(tmp_path: Path) -> None:
    from matplotlib.colors import to_hex

    from eng5_runner.reports.alignment import build_alignment
    from eng5_runner.reports.plots import _bt_scale, _save, write_alignment_plots
    from eng5_runner.settings.models import ReportTargets
    from tests.reports.html.runs import anchors, round_robin

    essays = anchors(9)
    result = build_alignment(
        round_robin(essays, flips=[(1, 2)]),
        essays,
        grade_scale="eng5_np_legacy_9_step",
        targets=ReportTargets(),
    )
    figure = _bt_scale(result)
    used = {to_hex(line.get_color()) for line in figure.axes[0].get_lines()}
    assert set(SCALE_COLOURS["eng5_np_legacy_9_step"]) <= used
    _save(figure, tmp_path / "one.png", "run · prompt p1 · judge sim/x")
    assert figure.get_suptitle() == "run · prompt p1 · judge sim/x"
    paths = write_alignment_plots(result, tmp_path, "run · prompt p1 · judge sim/x")
    assert [p.name for p in paths] == ["bt_scale.png", "win_matrix.png"]
    assert all(p.stat().st_size > 1000 for p in paths)
