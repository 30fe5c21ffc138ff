"""Compare two runs' artefacts comparison by comparison (baseline and sweep reference).

Comparisons are matched by (essay in slot A, essay in slot B, iteration) — i.e. unordered
anchor pair, slot order and iteration — over successful judgements between anchors both
runs share (anchors are matched by essay id, a hash of their text).  The statistics are
:func:`eng5_runner.stats.compare_paired`; :class:`PairedResult` carries METRICS.md's
names, and :func:`verdict_sentence` the sentence a researcher can act on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from eng5_runner import stats
from eng5_runner.inputs.grade_scales import FULL_16_STEP
from eng5_runner.reports.context import Frozen
from eng5_runner.reports.markdown import fmt_p


class PairedResult(Frozen):
    """Run B (this run / a variant) against run A (the baseline / the reference)."""

    run_dir: str
    matched_comparisons: int
    delta_tau_b: float | None
    delta_tau_b_ci95: tuple[float, float] | None
    mcnemar_p: float
    discordant_b_better: int
    discordant_a_better: int
    verdict: stats.Verdict
    reason: str | None = None
    """Why the runs are not comparable, when they are not."""
    tau_b_a: float | None = None
    tau_b_b: float | None = None
    agreement_rate_a: float | None = None
    """Both agreement rates are on the matched cross-grade comparisons."""
    agreement_rate_b: float | None = None
    cross_grade_matched: int = 0
    resamples: int = 0
    seed: int = 0
    method: str = ""


def _anchor_grades(artefact: Mapping[str, Any]) -> dict[str, int]:
    """essay id → position on the full 16-step scale (0 = best) for graded anchors."""
    out: dict[str, int] = {}
    for anchor in (artefact.get("inputs") or {}).get("anchors") or []:
        grade = anchor.get("grade")
        if grade in FULL_16_STEP:
            out[str(anchor["essay_id"])] = FULL_16_STEP.index(grade)
    return out


def _outcomes(artefact: Mapping[str, Any], anchors: set[str]) -> dict[tuple[str, str, int], str]:
    """(slot A id, slot B id, iteration) → winner id, for successful anchor comparisons."""
    out: dict[tuple[str, str, int], str] = {}
    for rec in artefact.get("comparisons") or []:
        a, b = rec.get("essay_a_id"), rec.get("essay_b_id")
        if rec.get("status") != "succeeded" or a not in anchors or b not in anchors or a == b:
            continue
        winner = rec.get("winner_id") or (
            a if rec.get("winner") == "A" else b if rec.get("winner") == "B" else None
        )
        if winner in (a, b):
            out.setdefault((a, b, int(rec.get("iteration") or 0)), winner)
    return out


def _position_model(artefact: Mapping[str, Any]) -> str:
    """The run's ``report.position_model`` as its artefact records it (``none`` if absent)."""
    fit = (artefact.get("analysis") or {}).get("position_fit") or {}
    return str(fit.get("position_model") or "none")


def compare_runs(
    current: Mapping[str, Any],
    reference: Mapping[str, Any],
    reference_dir: str,
    *,
    resamples: int = 1000,
    seed: int = 0,
    ridge: float | None = None,
) -> PairedResult:
    """Run ``current`` (B) against ``reference`` (A), both artefact dicts.

    Both fits carry the slot effect when both runs fitted it (``report.position_model=global``).
    """
    grades_a, grades_b = _anchor_grades(reference), _anchor_grades(current)
    shared = {k for k in grades_a.keys() & grades_b.keys() if grades_a[k] == grades_b[k]}
    ids = sorted(shared)
    index = {essay: i for i, essay in enumerate(ids)}
    run_a, run_b = _outcomes(reference, shared), _outcomes(current, shared)
    keys = sorted(run_a.keys() & run_b.keys())
    expert = -np.array([grades_a[e] for e in ids], dtype=np.float64)

    def arrays(run: dict[tuple[str, str, int], str]) -> tuple[list[int], list[int]]:
        win = [index[run[k]] for k in keys]
        lose = [index[k[1] if run[k] == k[0] else k[0]] for k in keys]
        return win, lose

    (wa, la), (wb, lb) = arrays(run_a), arrays(run_b)
    both_global = _position_model(current) == _position_model(reference) == "global"
    result = stats.compare_paired(
        expert,
        wa,
        la,
        wb,
        lb,
        resamples=resamples,
        seed=seed,
        ridge=ridge,
        position_model="global" if both_global else "none",
        winner_in_slot_a_a=[run_a[k] == k[0] for k in keys],
        winner_in_slot_a_b=[run_b[k] == k[0] for k in keys],
    )
    return PairedResult(
        run_dir=reference_dir,
        matched_comparisons=result.matched_comparisons,
        delta_tau_b=result.delta_tau_b,
        delta_tau_b_ci95=result.delta_tau_b_ci95,
        mcnemar_p=result.mcnemar_p,
        discordant_b_better=result.discordant_b_better,
        discordant_a_better=result.discordant_a_better,
        verdict=result.verdict,
        reason=result.reason,
        tau_b_a=result.tau_b_a,
        tau_b_b=result.tau_b_b,
        agreement_rate_a=result.agreement_rate_a,
        agreement_rate_b=result.agreement_rate_b,
        cross_grade_matched=result.cross_grade_matched,
        resamples=result.resamples,
        seed=result.seed,
        method=result.method,
    )


def p_clause(p: float | None) -> str:
    """``p = 0.031`` or ``p < 0.001``."""
    shown = fmt_p(p)
    return f"p {shown}" if shown.startswith("<") else f"p = {shown}"


def fmt_signed(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:+.{digits}f}"


def fmt_delta(result: PairedResult) -> str:
    """``Δτ-b = +0.120 [+0.040, +0.200]``."""
    ci = result.delta_tau_b_ci95
    shown = f"[{fmt_signed(ci[0])}, {fmt_signed(ci[1])}]" if ci else "[—]"
    return f"Δτ-b = {fmt_signed(result.delta_tau_b)} {shown}"


def verdict_sentence(
    result: PairedResult, this: str = "this run", other: str = "the baseline"
) -> str:
    """One sentence a researcher can act on, e.g. ``this run is better than the baseline:
    Δτ-b = +0.120 [+0.040, +0.200], McNemar p = 0.003 (66 matched comparisons)``."""
    if result.verdict == "not comparable":
        return f"{this.capitalize()} is not comparable with {other}: {result.reason}."
    evidence = (
        f"{fmt_delta(result)}, McNemar {p_clause(result.mcnemar_p)} "
        f"({result.discordant_b_better} vs {result.discordant_a_better} discordant of "
        f"{result.matched_comparisons} matched comparisons)"
    )
    if result.verdict == "indistinguishable":
        return (
            f"{this.capitalize()} and {other} are indistinguishable: {evidence}; "
            "the interval includes 0."
        )
    return f"{this.capitalize()} is {result.verdict} than {other}: {evidence}."
