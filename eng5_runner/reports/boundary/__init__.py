"""boundary-test: repeated, position-controlled comparisons of grade-boundary pairs.

Definitions follow METRICS.md "Boundary test". A record belongs to the first
listed pair whose two essays it compares; its order is "higher in A" when
``essay_a_id`` is the higher-graded essay. Degenerate data (no successful
comparisons, n = 1, equal confidences, 0 or n wins) gives None or collapsed
intervals, never nan or an exception.
"""

from eng5_runner.reports.boundary.build import build_boundary
from eng5_runner.reports.boundary.models import (
    BoundaryPairResult,
    BoundaryResult,
    BoundaryStats,
    MeanInterval,
)
from eng5_runner.reports.boundary.render import print_boundary_summary, render_boundary_markdown
from eng5_runner.reports.plots import write_boundary_plots

__all__ = [
    "BoundaryPairResult",
    "BoundaryResult",
    "BoundaryStats",
    "MeanInterval",
    "build_boundary",
    "print_boundary_summary",
    "render_boundary_markdown",
    "write_boundary_plots",
]
