"""Chart geometry for the HTML reports: pixel positions computed here, SVG drawn by templates.

Charts are inline SVG (no JavaScript library, nothing fetched): see
docs/architecture.md "HTML reports". Every chart here is a small, fixed kind:
a dot-and-interval scale, a heatmap, a forest plot, a dumbbell plot and a strip.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from eng5_runner.reports.palette import ALERT_COLOUR

ROW_H = 22
LABEL_W = 170


def nice_ticks(low: float, high: float, count: int = 6) -> list[float]:
    """Round tick values covering [low, high] (1, 2, 2.5 or 5 times a power of ten)."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low]
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.ceil(low / step - 1e-9) * step
    ticks = []
    value = start
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10) + 0.0)
        value += step
    return ticks


@dataclass(frozen=True)
class Axis:
    """A linear x axis from data [lo, hi] to pixels [x0, x1]."""

    lo: float
    hi: float
    x0: float
    x1: float
    fmt: str = "{:g}"

    def px(self, value: float) -> float:
        span = self.hi - self.lo or 1.0
        return round(self.x0 + (value - self.lo) / span * (self.x1 - self.x0), 2)

    @property
    def ticks(self) -> list[tuple[float, str]]:
        return [(self.px(t), self.fmt.format(t)) for t in nice_ticks(self.lo, self.hi)]


def padded(values: Sequence[float], pad: float = 0.05) -> tuple[float, float]:
    """[min, max] of ``values`` widened by ``pad`` of the span on each side."""
    lo, hi = (min(values), max(values)) if values else (-1.0, 1.0)
    if hi - lo < 1e-9:
        lo, hi = lo - 1.0, hi + 1.0
    span = hi - lo
    return lo - pad * span, hi + pad * span


# ---------------------------------------------------------------- BT scale


@dataclass(frozen=True)
class ScalePoint:
    essay_id: str
    label: str
    grade: str
    colour: str
    y: float
    cx: float | None
    x_lo: float | None
    x_hi: float | None
    tooltip: str
    inverted: bool


@dataclass(frozen=True)
class InversionLink:
    key: str
    path: str
    majority: bool
    tooltip: str


@dataclass(frozen=True)
class ScaleChart:
    width: int
    height: int
    axis: Axis
    zero_x: float | None
    points: list[ScalePoint]
    links: list[InversionLink]
    legend: list[tuple[str, str]]
    top: int = 28


@dataclass(frozen=True)
class ScaleEntry:
    """One essay for :func:`scale_chart` (θ and its 95% interval may be missing)."""

    essay_id: str
    label: str
    grade: str
    colour: str
    theta: float | None
    low: float | None
    high: float | None
    tooltip: str
    inverted: bool = False


def scale_chart(
    entries: Sequence[ScaleEntry],
    links: Sequence[tuple[str, str, str, bool, str]],
    legend: list[tuple[str, str]],
    width: int = 760,
) -> ScaleChart:
    """Rows by θ, highest on top; ``links``: (key, id_a, id_b, majority, tooltip) arcs."""
    rows = sorted(entries, key=lambda e: -(e.theta if e.theta is not None else -math.inf))
    values = [v for e in rows for v in (e.theta, e.low, e.high) if v is not None]
    lo, hi = padded(values)
    top = 28
    axis = Axis(lo, hi, LABEL_W, width - 60, "{:g}")
    points = []
    ys: dict[str, float] = {}
    for i, e in enumerate(rows):
        y = top + i * ROW_H + ROW_H / 2
        ys[e.essay_id] = y
        points.append(
            ScalePoint(
                essay_id=e.essay_id,
                label=e.label,
                grade=e.grade,
                colour=e.colour,
                y=y,
                cx=axis.px(e.theta) if e.theta is not None else None,
                x_lo=axis.px(e.low) if e.low is not None else None,
                x_hi=axis.px(e.high) if e.high is not None else None,
                tooltip=e.tooltip,
                inverted=e.inverted,
            )
        )
    arcs = []
    right = {p.essay_id: max(v for v in (p.cx, p.x_hi, axis.x0) if v is not None) for p in points}
    for key, a, b, majority, tooltip in links:
        if a not in ys or b not in ys:
            continue
        y1, y2 = sorted((ys[a], ys[b]))
        x = min(max(right[a], right[b]) + 8, width - 50)
        bulge = min(40.0, 8 + (y2 - y1) / 6)
        arcs.append(
            InversionLink(
                key=key,
                path=f"M{x} {y1} C{x + bulge} {y1} {x + bulge} {y2} {x} {y2}",
                majority=majority,
                tooltip=tooltip,
            )
        )
    height = top + len(rows) * ROW_H + 36
    zero = axis.px(0.0) if lo < 0.0 < hi else None
    return ScaleChart(width, height, axis, zero, points, arcs, legend, top)


# ---------------------------------------------------------------- heatmap


@dataclass(frozen=True)
class HeatCell:
    x: float
    y: float
    count: int
    fill: str
    title: str
    key: str
    inversion: bool


@dataclass(frozen=True)
class Heatmap:
    size: int
    cell: float
    left: int
    top: int
    rows: list[tuple[float, str, str]]
    """(y centre, label, colour)."""
    cols: list[tuple[float, str, str]]
    cells: list[HeatCell]
    diagonal: list[tuple[float, float]]
    peak: int
    aggregated: bool = False
    alert: str = ALERT_COLOUR

    @property
    def width(self) -> int:
        return int(self.left + self.cell * len(self.rows) + 90)

    @property
    def height(self) -> int:
        return int(self.top + self.cell * len(self.rows) + 20)


def blues(share: float) -> str:
    """White → dark blue for a share in [0, 1]."""
    share = min(max(share, 0.0), 1.0)
    start, end = (247, 251, 255), (8, 48, 107)
    r, g, b = (round(s + (e - s) * share) for s, e in zip(start, end, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap(
    labels: Sequence[tuple[str, str, str]],
    matrix: Sequence[Sequence[int]],
    ranks: Sequence[int],
    title: Callable[[int, int, int], str],
    keys: Callable[[int, int], str],
    *,
    aggregated: bool = False,
) -> Heatmap:
    """``labels``: (id, text, colour) in matrix order; ``matrix[i][j]``: i beat j."""
    n = len(labels)
    cell = float(max(10, min(28, 640 // max(n, 1))))
    left = 150
    top = 110
    peak = max((c for row in matrix for c in row), default=0)
    cells = []
    for i in range(n):
        for j in range(n):
            count = matrix[i][j]
            if i == j or (count == 0 and aggregated):
                continue
            cells.append(
                HeatCell(
                    x=left + j * cell,
                    y=top + i * cell,
                    count=count,
                    fill=blues(count / peak) if peak and count else "#ffffff",
                    title=title(i, j, count),
                    key=keys(i, j),
                    inversion=count > 0 and ranks[i] > ranks[j],
                )
            )
    rows = [(top + i * cell + cell / 2, text, colour) for i, (_, text, colour) in enumerate(labels)]
    cols = [
        (left + j * cell + cell / 2, text, colour) for j, (_, text, colour) in enumerate(labels)
    ]
    diagonal = [(left + i * cell, top + i * cell) for i in range(n)]
    return Heatmap(n, cell, left, top, rows, cols, cells, diagonal, peak, aggregated)


# ---------------------------------------------------------------- forest / dumbbell


@dataclass(frozen=True)
class ForestRow:
    y: float
    label: str
    cx: float | None
    x_lo: float | None
    x_hi: float | None
    text: str
    pooled: bool
    tooltip: str


@dataclass(frozen=True)
class Forest:
    width: int
    height: int
    axis: Axis
    rows: list[ForestRow]
    refs: list[tuple[float, str, str]] = field(default_factory=list)
    """(x, label, css class) reference lines."""
    top: int = 24


def forest(
    rows: Sequence[tuple[str, float | None, float | None, float | None, str, bool, str]],
    refs: Sequence[tuple[float, str, str]] = (),
    width: int = 760,
) -> Forest:
    """Proportions in [0, 1]: (label, rate, low, high, text, pooled, tooltip) per row."""
    top = 24
    axis = Axis(0.0, 1.0, LABEL_W + 110, width - 70, "{:.0%}")
    out = []
    for i, (label, rate, low, high, text, pooled, tooltip) in enumerate(rows):
        out.append(
            ForestRow(
                y=top + i * ROW_H + ROW_H / 2,
                label=label,
                cx=axis.px(rate) if rate is not None else None,
                x_lo=axis.px(low) if low is not None else None,
                x_hi=axis.px(high) if high is not None else None,
                text=text,
                pooled=pooled,
                tooltip=tooltip,
            )
        )
    lines = [(axis.px(v), label, css) for v, label, css in refs]
    return Forest(width, top + len(rows) * ROW_H + 34, axis, out, lines, top)


@dataclass(frozen=True)
class DumbbellRow:
    y: float
    label: str
    xa: float | None
    xb: float | None
    text: str
    tooltip: str


@dataclass(frozen=True)
class Dumbbell:
    width: int
    height: int
    axis: Axis
    rows: list[DumbbellRow]
    top: int = 24


def dumbbell(
    rows: Sequence[tuple[str, float | None, float | None, str, str]], width: int = 760
) -> Dumbbell:
    """(label, value in A, value in B, text, tooltip) per row, both in [0, 1]."""
    top = 24
    axis = Axis(0.0, 1.0, LABEL_W + 110, width - 90, "{:.0%}")
    out = [
        DumbbellRow(
            y=top + i * ROW_H + ROW_H / 2,
            label=label,
            xa=axis.px(a) if a is not None else None,
            xb=axis.px(b) if b is not None else None,
            text=text,
            tooltip=tooltip,
        )
        for i, (label, a, b, text, tooltip) in enumerate(rows)
    ]
    return Dumbbell(width, top + len(rows) * ROW_H + 34, axis, out, top)


# ---------------------------------------------------------------- strip (placement)


@dataclass(frozen=True)
class StripMark:
    x: float
    y: float
    label: str
    colour: str
    tooltip: str
    anchor: bool


@dataclass(frozen=True)
class Strip:
    width: int
    height: int
    axis: Axis
    marks: list[StripMark]


def strip(
    anchors: Sequence[tuple[str, str, float, str]],
    students: Sequence[tuple[str, float, str]],
    width: int = 760,
) -> Strip:
    """Anchors (label, colour, θ, tooltip) on a line; students (label, θ, tooltip) below it."""
    values = [a[2] for a in anchors] + [s[1] for s in students]
    lo, hi = padded(values)
    axis = Axis(lo, hi, 30, width - 30, "{:g}")
    marks = [
        StripMark(axis.px(theta), 40, label, colour, tooltip, True)
        for label, colour, theta, tooltip in anchors
    ]
    for i, (label, theta, tooltip) in enumerate(students):
        marks.append(StripMark(axis.px(theta), 80 + (i % 6) * 9, label, "#333333", tooltip, False))
    return Strip(width, 160, axis, marks)
