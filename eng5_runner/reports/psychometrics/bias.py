"""The length and position bias audits, each with its verdict sentence."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from eng5_runner.engine.records import JudgementRecord
from eng5_runner.inputs.grade_scales import grade_rank
from eng5_runner.inputs.inventory import Essay
from eng5_runner.reports import markdown as md
from eng5_runner.reports.context import finite
from eng5_runner.reports.psychometrics.models import CorrelationRow, LengthBias, PositionBias


def _corr(c: Any) -> CorrelationRow:
    ci = (float(c.low), float(c.high)) if c.low is not None and c.high is not None else None
    return CorrelationRow(r=finite(c.r), ci95=ci, n=c.n)


def audit_length_bias(essays: Sequence[Essay], theta: np.ndarray, scale: str) -> LengthBias:
    """Score ~ word count, raw and at equal expert grade (graded anchors only)."""
    from eng5_runner import stats

    words = np.array([e.word_count for e in essays], dtype=np.float64)
    raw = stats.correlation(theta, words)
    graded = [i for i, e in enumerate(essays) if e.role == "anchor" and e.grade is not None]
    ranks = np.array([grade_rank(str(essays[i].grade), scale) for i in graded], dtype=np.float64)
    partial = stats.partial_correlation(theta[graded], words[graded], ranks)
    if partial.r is not None and partial.low is not None:
        evidence = partial.excludes_zero
        verdict = (
            f"{'Evidence' if evidence else 'No evidence'} of length bias: partial r = "
            f"{partial.r:.2f} (95% CI {md.fmt_interval(partial.low, partial.high, digits=2)}, "
            f"{partial.n} graded essays) between BT score and word count at equal expert grade."
        )
    else:
        evidence = False
        verdict = (
            "Length bias not testable: too few graded essays (or grades all equal) to control "
            f"for quality; raw r = {md.fmt_num(raw.r, 2)} "
            f"(95% CI {md.fmt_interval(raw.low, raw.high, digits=2)}) mixes quality and length."
        )
    return LengthBias(raw=_corr(raw), partial=_corr(partial), evidence=evidence, verdict=verdict)


def audit_position_bias(
    ok: Sequence[JudgementRecord], index: dict[str, int], labels: list[str], theta: np.ndarray
) -> PositionBias:
    """Slot-A residuals of the fit: overall and per essay."""
    from eng5_runner import stats

    a = np.array([index[r.essay_a_id] for r in ok], dtype=np.int64)
    b = np.array([index[r.essay_b_id] for r in ok], dtype=np.int64)
    a_won = np.array([r.winner == "A" for r in ok], dtype=np.float64)
    audit = stats.position_effects(len(labels), a, b, a_won, theta)
    tested = sum(1 for e in audit.effects if e.z is not None)
    if audit.evidence:
        verdict = (
            f"Evidence of position bias: slot-A residual z = {audit.z:.2f} "
            f"(p = {md.fmt_p(audit.p_value)}); {len(audit.flagged)} of {tested} essays with "
            f"|z| > 2 (excess p = {md.fmt_p(audit.excess_p)})."
        )
    else:
        verdict = (
            f"No evidence of position bias: slot-A residual z = {audit.z:.2f} "
            f"(p = {md.fmt_p(audit.p_value)}); {len(audit.flagged)} of {tested} essays with "
            "|z| > 2, about what chance gives."
        )
    return PositionBias(
        mean_residual_a=audit.mean_residual_a,
        z=audit.z,
        p_value=audit.p_value,
        flagged=tuple(labels[i] for i in audit.flagged),
        tested=tested,
        evidence=audit.evidence,
        verdict=verdict,
    )
