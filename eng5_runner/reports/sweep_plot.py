"""Leaderboard plot: the sort metric per variant with its 95% interval, coloured by targets.

Best at the top; green = every target met, red = a target missed.  The whisker is the
metric's ``*_ci95`` from summary.json when there is one (τ-b: bootstrap).  Labels are the
variants' overrides wrapped onto short lines; the reference and the variants
indistinguishable from the best are named in the label.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from eng5_runner.output.atomic import write_bytes_atomic
from eng5_runner.reports.sweep_compare import short_label

if TYPE_CHECKING:
    from eng5_runner.reports.sweep import SweepRow


def _label(row: SweepRow) -> str:
    tags = []
    if row.is_reference:
        tags.append("reference")
    if row.versus_best == "best":
        tags.append("best")
    elif row.indistinguishable_from_best:
        tags.append("≈ best")
    suffix = f"\n({', '.join(tags)})" if tags else ""
    return short_label(row.variant) + suffix


def _interval(row: SweepRow, metric: str) -> tuple[float, float] | None:
    ci = row.metrics.get(f"{metric}_ci95")
    if isinstance(ci, list) and len(ci) == 2:
        return float(ci[0]), float(ci[1])
    return None


def write_leaderboard_plot(rows: Sequence[SweepRow], metric: str, path: Path) -> Path:
    """Horizontal bars with 95% whiskers, best at the top; green = every target met."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ordered = list(rows)[::-1]
    values = [float(row.metrics[metric] or 0.0) for row in ordered]  # type: ignore[arg-type]
    intervals = [_interval(row, metric) for row in ordered]
    lower = [v - ci[0] if ci else 0.0 for v, ci in zip(values, intervals, strict=True)]
    upper = [ci[1] - v if ci else 0.0 for v, ci in zip(values, intervals, strict=True)]
    colours = ["#2e7d32" if row.targets_met else "#c62828" for row in ordered]
    labels = [_label(row) for row in ordered]
    lines = sum(label.count("\n") + 1 for label in labels)
    height = max(2.5, 0.32 * lines + 0.35 * len(rows) + 1.4)
    fig, ax = plt.subplots(figsize=(10, height), dpi=120)
    ax.barh(range(len(values)), values, color=colours, alpha=0.85)
    if any(intervals):
        ax.errorbar(
            values,
            range(len(values)),
            xerr=[[max(0.0, x) for x in lower], [max(0.0, x) for x in upper]],
            fmt="none",
            ecolor="#212121",
            capsize=4,
            linewidth=1.2,
        )
    ax.set_yticks(range(len(labels)), labels, fontsize=9)
    ax.set_xlabel(f"{metric} (whiskers: 95% interval)" if any(intervals) else metric)
    ax.set_title(
        f"Sweep leaderboard by {metric}: green = all targets met, red = a target missed",
        fontsize=10,
    )
    for i, (value, ci) in enumerate(zip(values, intervals, strict=True)):
        text = f" {value:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")
        x = max(value, ci[1]) if ci else value
        ax.text(x, i, text, va="center", fontsize=8)
    ax.margins(x=0.35)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return write_bytes_atomic(path, buffer.getvalue())
