"""Place the students on the anchors' scale: one BT fit, or a link to a locked anchor scale."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np

from eng5_runner.engine.records import JudgementRecord
from eng5_runner.inputs.inventory import Essay
from eng5_runner.reports.anchor_scale import LockedScale
from eng5_runner.reports.context import count_records, finite
from eng5_runner.reports.placement.models import PlacementResult, StudentPlacement
from eng5_runner.reports.placement.projection import anchor_projection
from eng5_runner.reports.position import PositionSummary, bt_inputs, position_summary
from eng5_runner.reports.psychometrics import build_psychometrics
from eng5_runner.stats.position import consecutive_repeats


def build_placement(
    records: Sequence[JudgementRecord],
    essays: Sequence[Essay],
    *,
    ridge: float | None = None,
    grade_scale: str = "eng5_np_legacy_9_step",
    position_model: Literal["none", "global"] = "none",
    outcome_kind: Literal["binary", "confidence"] = "binary",
    locked: LockedScale | None = None,
    cj_scores: Sequence[Mapping[str, Any]] | None = None,
    resamples: int = 1000,
    seed: int = 0,
    rounds: Sequence[Any] | None = None,
) -> PlacementResult:
    """Fit BT (or link to ``locked``), place each student and project its grade."""
    index = {essay.essay_id: i for i, essay in enumerate(essays)}
    n = len(essays)
    inputs = bt_inputs(records, index, outcome_kind)
    winners = np.asarray(inputs.winners, dtype=np.int64)
    losers = np.asarray(inputs.losers, dtype=np.int64)
    position: PositionSummary | None
    if locked is None:
        fit = inputs.fit(n, ridge=ridge, position_model=position_model)
        theta_arr, se_arr = np.asarray(fit.theta), np.asarray(fit.se)
        regularised = fit.regularised
        position = position_summary(
            fit, records, position_model=position_model, match=consecutive_repeats
        )
    else:
        theta_arr, se_arr = _linked(inputs, essays, locked, ridge, position_model)
        fitted_b = position_model == "global" and locked.slot_effect is not None
        paired = position_summary(
            None, records, position_model=position_model, match=consecutive_repeats
        )
        position = paired.model_copy(
            update={
                "slot_effect": locked.slot_effect if fitted_b else None,
                "slot_effect_ci95": locked.slot_effect_ci95 if fitted_b else None,
                "slot_effect_note": None if fitted_b else "not estimated on the locked scale",
            }
        )
        regularised = False
    theta = [finite(float(t)) for t in theta_arr]
    se = [finite(float(s)) for s in se_arr]
    order = sorted(range(n), key=lambda i: -(theta[i] or 0.0))
    rank = {i: r for r, i in enumerate(order, start=1)}
    wins = np.bincount(winners, minlength=n)
    losses = np.bincount(losers, minlength=n)
    anchors = [i for i, e in enumerate(essays) if e.role == "anchor"]
    projector, summary = anchor_projection(essays, anchors, theta, se, grade_scale, resamples, seed)
    cj = {str(s.get("essay_id")): s for s in cj_scores or () if not s.get("is_anchor")}
    students = []
    for i, essay in enumerate(essays):
        if essay.role != "student":
            continue
        t = theta[i] or 0.0
        higher = [a for a in anchors if (theta[a] or 0.0) >= t]
        lower = [a for a in anchors if (theta[a] or 0.0) < t]
        above = min(higher, key=lambda a: theta[a] or 0.0) if higher else None
        below = max(lower, key=lambda a: theta[a] or 0.0) if lower else None
        grade_fields = projector(t, se[i] or 0.0) if projector else {}
        published = cj.get(essay.essay_id, {})
        students.append(
            StudentPlacement(
                essay_id=essay.essay_id,
                label=essay.label,
                file_name=essay.source.path.name,
                theta=theta[i],
                se=se[i],
                rank=rank[i],
                wins=int(wins[i]),
                losses=int(losses[i]),
                above=_name(essays[above]) if above is not None else None,
                below=_name(essays[below]) if below is not None else None,
                cj_grade=published.get("letter_grade"),
                cj_confidence=published.get("confidence_label"),
                **grade_fields,
            )
        )
    counts = count_records(records)
    return PlacementResult(
        students=tuple(sorted(students, key=lambda s: s.rank)),
        anchors_on_scale=tuple(
            (essays[a].label, essays[a].grade or "?", theta[a])
            for a in sorted(anchors, key=lambda a: rank[a])
        ),
        successful=counts.successful,
        failed=counts.failed,
        regularised=regularised,
        projection=summary,
        position_fit=position,
        locked_scale=locked.run_dir if locked else None,
        reused_anchor_judgements=locked.anchor_judgements if locked else 0,
        psychometrics=build_psychometrics(
            records, essays, grade_scale=grade_scale, ridge=ridge, rounds=rounds
        ),
    )


def _linked(
    inputs: Any,
    essays: Sequence[Essay],
    locked: LockedScale,
    ridge: float | None,
    position_model: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Students' θ with the anchors' θ (and b) fixed at the locked scale."""
    from eng5_runner.stats.linked import fit_linked

    fixed_of = locked.theta_of()
    fixed = np.array([fixed_of.get(e.essay_id, (np.nan, 0.0))[0] for e in essays])
    anchor_se = np.array([fixed_of.get(e.essay_id, (0.0, 0.0))[1] for e in essays])
    w = np.asarray(inputs.winners, dtype=np.int64)
    lo = np.asarray(inputs.losers, dtype=np.int64)
    in_a = np.asarray(inputs.winner_in_slot_a, dtype=bool)
    y = np.ones(w.size) if inputs.outcomes is None else np.asarray(inputs.outcomes)
    keep = np.isnan(fixed[w]) | np.isnan(fixed[lo])  # comparisons involving a student
    b = locked.slot_effect if position_model == "global" else 0.0
    linked = fit_linked(
        fixed,
        np.where(in_a, w, lo)[keep],
        np.where(in_a, lo, w)[keep],
        np.where(in_a, y, 1.0 - y)[keep],
        fixed_slot_effect=b or 0.0,
        ridge=ridge,
    )
    return linked.theta, np.where(np.isnan(fixed), linked.se, anchor_se)


def _name(essay: Essay) -> str:
    return f"{essay.label} ({essay.grade})"
