"""Execute mode: place student essays on the anchors' scale and project their grades.

One Bradley–Terry fit over every essay (anchors and students; with the slot effect when
``report.position_model=global``), or, with a locked anchor scale, the students' scores
linked to the anchors' fixed θ.  A proportional-odds model of the anchors' grades on their
θ (``stats.projection``) then gives every student grade probabilities, a projected grade
(the most probable) and an expected grade; leave-one-anchor-out validation says how often
such a projection matches the expert grade.  This replaces the nearest-anchor "indicative
grade" of earlier versions.
"""

from eng5_runner.reports.placement.build import build_placement
from eng5_runner.reports.placement.models import (
    PlacementResult,
    ProjectionSummary,
    StudentPlacement,
)
from eng5_runner.reports.placement.render import print_placement_summary, render_placement_markdown

__all__ = [
    "PlacementResult",
    "ProjectionSummary",
    "StudentPlacement",
    "build_placement",
    "print_placement_summary",
    "render_placement_markdown",
]
