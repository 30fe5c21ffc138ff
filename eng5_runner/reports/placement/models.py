"""The execute report's results: each student's placement and the grade model's validation."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from eng5_runner.reports.context import Frozen
from eng5_runner.reports.position import PositionSummary
from eng5_runner.reports.psychometrics import Psychometrics


class StudentPlacement(Frozen):
    """One student essay on the anchors' scale, with its grade projection."""

    essay_id: str
    label: str
    file_name: str
    theta: float | None
    se: float | None
    rank: int
    wins: int
    losses: int
    above: str | None
    """Nearest anchor with a higher θ, as ``label (grade)``."""
    below: str | None
    projected_grade: str | None = None
    grade_probs: dict[str, float] = {}
    """Grade → probability (sums to 1), best grade first."""
    expected_grade_rank: float | None = None
    """Σ P(grade) × scale rank (0 = the scale's best grade)."""
    max_prob: float | None = None
    uncertain: bool = False
    """No grade reaches ``UNCERTAIN_BELOW`` (0.5)."""
    cj_grade: str | None = None
    """huleedu backend: CJ's own projected letter grade, when it published one."""
    cj_confidence: str | None = None


class ProjectionSummary(Frozen):
    """The grade model and its leave-one-anchor-out validation (None: undefined)."""

    fitted: bool
    note: str | None = None
    grades: tuple[str, ...] = ()
    slope: float | None = None
    loo_n: int = 0
    projection_exact_loo: float | None = None
    projection_exact_loo_ci95: tuple[float, float] | None = None
    projection_within_one_loo: float | None = None
    projection_within_one_loo_ci95: tuple[float, float] | None = None
    projection_qwk_loo: float | None = None
    projection_qwk_loo_ci95: tuple[float, float] | None = None
    projection_rps_loo: float | None = None
    projection_rps_loo_ci95: tuple[float, float] | None = None


class PlacementResult(Frozen):
    """Students placed among the anchors of one execute run."""

    students: tuple[StudentPlacement, ...]
    anchors_on_scale: tuple[tuple[str, str, float | None], ...]
    successful: int
    failed: int
    regularised: bool
    targets_met: bool | None = None
    projection: ProjectionSummary = ProjectionSummary(fitted=False)
    position_fit: PositionSummary | None = None
    locked_scale: str | None = None
    """The anchor-align run whose anchor scale was reused (report.anchor_scale)."""
    reused_anchor_judgements: int = 0
    saved_cost_usd: float | None = None
    """Estimated cost of the anchor–anchor comparisons this run did not make."""

    def metrics(self) -> dict[str, float | int | list[float] | None]:
        """summary.json metrics (METRICS.md names)."""
        p = self.projection
        out: dict[str, float | int | list[float] | None] = {
            "students": len(self.students),
            "uncertain_students": sum(1 for s in self.students if s.uncertain),
            "projection_exact_loo": p.projection_exact_loo,
            "projection_within_one_loo": p.projection_within_one_loo,
            "projection_qwk_loo": p.projection_qwk_loo,
            "projection_rps_loo": p.projection_rps_loo,
        }
        if self.position_fit is not None:
            out |= self.position_fit.metrics()
        return out

    def student_rows(self) -> list[dict[str, Any]]:
        """The ``students`` list of summary.json."""
        return [
            {
                "essay_id": s.essay_id,
                "label": s.label,
                "theta": s.theta,
                "se": s.se,
                "projected_grade": s.projected_grade,
                "grade_probs": s.grade_probs,
                "expected_grade_rank": s.expected_grade_rank,
                "uncertain": s.uncertain,
                **({"cj_grade": s.cj_grade} if s.cj_grade is not None else {}),
            }
            for s in self.students
        ]

    psychometrics: Psychometrics | None = Field(None, exclude=True)
    """Misfit, split-half reliability, bias audits (the artefact's top-level object)."""
