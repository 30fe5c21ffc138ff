"""Leaderboard plot: the sort metric per variant, coloured by targets met."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from eng5_runner.output.atomic import write_bytes_atomic

if TYPE_CHECKING:
    from eng5_runner.reports.sweep import SweepRow


def write_leaderboard_plot(rows: Sequence[SweepRow], metric: str, path: Path) -> Path:
    """Horizontal bars, best at the top; green = every target met."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [row.variant[:60] for row in rows][::-1]
    values = [float(row.metrics[metric] or 0.0) for row in rows][::-1]
    colours = ["#2e7d32" if row.targets_met else "#c62828" for row in rows][::-1]
    height = max(2.0, 0.45 * len(rows) + 1.2)
    fig, ax = plt.subplots(figsize=(9, height), dpi=120)
    ax.barh(range(len(values)), values, color=colours)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_xlabel(metric)
    ax.set_title(f"Sweep leaderboard by {metric} (green: all targets met)")
    for i, value in enumerate(values):
        ax.text(value, i, f" {value:.3f}", va="center", fontsize=8)
    ax.margins(x=0.15)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return write_bytes_atomic(path, buffer.getvalue())
