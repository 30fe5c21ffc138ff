"""The grade projection fitted on the anchors, and its leave-one-anchor-out validation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from eng5_runner.inputs.grade_scales import GRADE_SCALES, UnknownGradeError, grade_rank
from eng5_runner.inputs.inventory import Essay
from eng5_runner.reports.context import finite
from eng5_runner.reports.placement.models import ProjectionSummary
from eng5_runner.stats.projection import UNCERTAIN_BELOW


def anchor_projection(
    essays: Sequence[Essay],
    anchors: Sequence[int],
    theta: Sequence[float | None],
    se: Sequence[float | None],
    grade_scale: str,
    resamples: int,
    seed: int,
) -> tuple[Any, ProjectionSummary]:
    """The fitted projector (θ, SE → StudentPlacement fields) and its LOO validation."""
    from eng5_runner.stats.projection import fit_grade_projection, leave_one_anchor_out

    scale = GRADE_SCALES.get(grade_scale, ())
    rows = []
    for a in anchors:
        try:
            rank = grade_rank(essays[a].grade or "", grade_scale)
        except UnknownGradeError:
            continue
        if theta[a] is not None:
            rows.append((theta[a] or 0.0, se[a] or 0.0, rank))
    if len({r for _, _, r in rows}) < 2:
        return None, ProjectionSummary(
            fitted=False, note="grade projection needs anchors of at least two grades"
        )
    t = [r[0] for r in rows]
    s = [r[1] for r in rows]
    ranks = [r[2] for r in rows]
    model = fit_grade_projection(t, s, ranks)
    grades = tuple(scale[c] for c in model.categories)
    loo = leave_one_anchor_out(t, s, ranks, resamples=resamples, seed=seed)

    def project(theta_i: float, se_i: float) -> dict[str, Any]:
        probs = model.probabilities([theta_i], [se_i])[0]
        best = int(np.argmax(probs))
        return {
            "projected_grade": grades[best],
            "grade_probs": {g: round(float(p), 6) for g, p in zip(grades, probs, strict=True)},
            "expected_grade_rank": finite(float(model.expected_rank(probs[None, :])[0])),
            "max_prob": float(probs[best]),
            "uncertain": bool(probs[best] < UNCERTAIN_BELOW),
        }

    return project, ProjectionSummary(
        fitted=True,
        note=None if model.converged else "the grade model's optimiser did not fully converge",
        grades=grades,
        slope=finite(model.slope),
        loo_n=loo.n,
        projection_exact_loo=loo.exact,
        projection_exact_loo_ci95=loo.exact_ci95,
        projection_within_one_loo=loo.within_one,
        projection_within_one_loo_ci95=loo.within_one_ci95,
        projection_qwk_loo=finite(loo.qwk) if loo.qwk is not None else None,
        projection_qwk_loo_ci95=loo.qwk_ci95,
        projection_rps_loo=loo.rps,
        projection_rps_loo_ci95=loo.rps_ci95,
    )
