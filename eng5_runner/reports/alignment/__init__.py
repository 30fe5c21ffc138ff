"""anchor-align-test: how well the judge's Bradley–Terry scale agrees with expert grades.

Every number follows METRICS.md "Agreement with expert grades". Only
successful judgements between two anchors count; failures are listed.
"""

from eng5_runner.reports.alignment.build import build_alignment
from eng5_runner.reports.alignment.models import AlignmentResult, AnchorRow, BTSummary, InversionRow
from eng5_runner.reports.alignment.render import print_alignment_summary, render_alignment_markdown
from eng5_runner.reports.plots import write_alignment_plots

__all__ = [
    "AlignmentResult",
    "AnchorRow",
    "BTSummary",
    "InversionRow",
    "build_alignment",
    "print_alignment_summary",
    "render_alignment_markdown",
    "write_alignment_plots",
]
