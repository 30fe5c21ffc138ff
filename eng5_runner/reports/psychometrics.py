"""The "Psychometrics" part of a report: misfit, split-half reliability, bias audits.

:func:`build_psychometrics` computes everything from the judgement records and the
essays (one BT fit, then ``stats.misfit``, ``stats.split_half`` and ``stats.bias``);
:func:`render_psychometrics_markdown` is the report.md section and
:func:`psychometrics_metrics` the summary.json fields.  Definitions: docs/metrics.md
"Psychometrics".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from eng5_runner.engine.records import JudgementRecord
from eng5_runner.inputs.grade_scales import grade_rank
from eng5_runner.inputs.inventory import Essay
from eng5_runner.reports import markdown as md
from eng5_runner.reports.context import finite

__all__ = [
    "Psychometrics",
    "build_psychometrics",
    "psychometrics_metrics",
    "render_psychometrics_markdown",
]

#: Most misfitting essays listed in the report.
SHOWN_MISFITS = 5
SPLITS = 20


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FitRow(_Frozen):
    """Infit/outfit of an essay or a judge variant."""

    name: str
    essay_id: str | None = None
    n: int
    infit: float | None
    outfit: float | None
    infit_z: float | None
    outfit_z: float | None
    misfit: bool


class Unexpected(_Frozen):
    """A surprising judgement of a misfitting essay."""

    comparison_id: str
    essay: str
    opponent: str
    essay_won: bool
    p_observed: float


class CorrelationRow(_Frozen):
    r: float | None
    ci95: tuple[float, float] | None
    n: int


class LengthBias(_Frozen):
    raw: CorrelationRow
    partial: CorrelationRow
    """Controlling for the expert grade (anchors only)."""
    evidence: bool
    verdict: str


class PositionBias(_Frozen):
    mean_residual_a: float
    z: float
    p_value: float
    flagged: tuple[str, ...]
    tested: int
    evidence: bool
    verdict: str


class RoundRow(_Frozen):
    index: int
    comparisons: int
    total: int
    reliability: float
    ssr: float


class Psychometrics(_Frozen):
    """Everything the Psychometrics section shows; the artefact's ``psychometrics``."""

    n_essays: int
    n_judgements: int
    ssr: float | None
    split_half_reliability: float
    split_half_range: tuple[float, float]
    split_half_splits: int
    adaptive: bool
    essays: tuple[FitRow, ...]
    misfitting: tuple[FitRow, ...]
    unexpected: tuple[Unexpected, ...]
    judges: tuple[FitRow, ...]
    length_bias: LengthBias
    position_bias: PositionBias
    rounds: tuple[RoundRow, ...] = ()


def _row(name: str, essay_id: str | None, stat: Any) -> FitRow:
    return FitRow(
        name=name,
        essay_id=essay_id,
        n=stat.n,
        infit=finite(stat.infit),
        outfit=finite(stat.outfit),
        infit_z=finite(stat.infit_z),
        outfit_z=finite(stat.outfit_z),
        misfit=stat.misfit,
    )


def _corr(c: Any) -> CorrelationRow:
    ci = (float(c.low), float(c.high)) if c.low is not None and c.high is not None else None
    return CorrelationRow(r=finite(c.r), ci95=ci, n=c.n)


def _variant(record: JudgementRecord, repeats: bool) -> str:
    name = f"{record.provider}/{record.model}"
    return f"{name} repeat {record.iteration}" if repeats else name


def build_psychometrics(
    records: Sequence[JudgementRecord],
    essays: Sequence[Essay],
    *,
    grade_scale: str,
    ridge: float | None = None,
    rounds: Sequence[Any] | None = None,
    seed: int = 0,
) -> Psychometrics | None:
    """The psychometrics of one run; None with fewer than 3 essays or 4 judgements.

    ``rounds`` (``engine.adaptive.RoundInfo``) marks an adaptive run.
    """
    from eng5_runner import stats

    index = {e.essay_id: i for i, e in enumerate(essays)}
    ok = [
        r
        for r in records
        if r.succeeded and r.winner_id in index and r.loser_id in index and r.winner
    ]
    n = len(essays)
    if n < 3 or len(ok) < 4:
        return None
    w = np.array([index[str(r.winner_id)] for r in ok], dtype=np.int64)
    lo = np.array([index[str(r.loser_id)] for r in ok], dtype=np.int64)
    try:
        fit = stats.fit_bradley_terry(n, w, lo, ridge=ridge)
    except stats.BTNotIdentifiable:  # report.ridge=0 without an MLE: the default rule
        fit = stats.fit_bradley_terry(n, w, lo)
    theta = np.asarray(fit.theta)
    labels = [e.label for e in essays]
    item = stats.item_fit(n, w, lo, theta)
    rows = [_row(labels[i], essays[i].essay_id, s) for i, s in enumerate(item)]
    worst = sorted(
        (i for i, s in enumerate(item) if s.misfit),
        key=lambda i: -max(item[i].infit_z or 0.0, item[i].outfit_z or 0.0),
    )
    unexpected: list[Unexpected] = []
    for i in worst[:SHOWN_MISFITS]:
        for u in stats.unexpected_judgements(i, w, lo, theta, limit=3):
            other = u.loser if u.winner == i else u.winner
            unexpected.append(
                Unexpected(
                    comparison_id=ok[u.index].comparison_id,
                    essay=labels[i],
                    opponent=labels[other],
                    essay_won=u.winner == i,
                    p_observed=round(u.p_observed, 4),
                )
            )
    repeats = any(r.iteration > 0 for r in ok)
    groups = [_variant(r, repeats) for r in ok]
    judges = [_row(str(k), None, s) for k, s in stats.group_fit(groups, w, lo, theta).items()]
    half_ridge = None if ridge == 0 else ridge  # a half rarely has an MLE
    half = stats.split_half_reliability(n, w, lo, splits=SPLITS, seed=seed, ridge=half_ridge)
    ssr = stats.scale_separation_reliability(fit.theta, fit.se)
    return Psychometrics(
        n_essays=n,
        n_judgements=len(ok),
        ssr=finite(ssr),
        split_half_reliability=half.reliability,
        split_half_range=(half.low, half.high),
        split_half_splits=half.splits,
        adaptive=rounds is not None,
        essays=tuple(rows),
        misfitting=tuple(rows[i] for i in worst),
        unexpected=tuple(unexpected),
        judges=tuple(judges),
        length_bias=_length_bias(essays, theta, grade_scale),
        position_bias=_position_bias(ok, index, labels, theta),
        rounds=tuple(
            RoundRow(
                index=r.index,
                comparisons=r.comparisons,
                total=r.total,
                reliability=r.reliability,
                ssr=r.ssr,
            )
            for r in rounds or ()
        ),
    )


def _length_bias(essays: Sequence[Essay], theta: np.ndarray, scale: str) -> LengthBias:
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


def _position_bias(
    ok: Sequence[JudgementRecord], index: dict[str, int], labels: list[str], theta: np.ndarray
) -> PositionBias:
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


def psychometrics_metrics(p: Psychometrics | None) -> dict[str, float | int | None]:
    """summary.json ``metrics`` fields (empty when there is nothing to report)."""
    if p is None:
        return {}
    lb = p.length_bias
    return {
        "split_half_reliability": p.split_half_reliability,
        "split_half_low": p.split_half_range[0],
        "split_half_high": p.split_half_range[1],
        "misfit_essays": len(p.misfitting),
        "misfit_judges": sum(1 for j in p.judges if j.misfit),
        "judge_infit_max": max((j.infit for j in p.judges if j.infit is not None), default=None),
        "judge_outfit_max": max((j.outfit for j in p.judges if j.outfit is not None), default=None),
        "length_bias_r": lb.raw.r,
        "length_bias_r_ci95_low": lb.raw.ci95[0] if lb.raw.ci95 else None,
        "length_bias_r_ci95_high": lb.raw.ci95[1] if lb.raw.ci95 else None,
        "length_bias_partial_r": lb.partial.r,
        "length_bias_partial_r_ci95_low": lb.partial.ci95[0] if lb.partial.ci95 else None,
        "length_bias_partial_r_ci95_high": lb.partial.ci95[1] if lb.partial.ci95 else None,
        "position_residual_z": p.position_bias.z,
        "position_bias_p": p.position_bias.p_value,
    }


def _fit_table(rows: Sequence[FitRow], first: str) -> str:
    return md.table(
        (first, "n", "Infit MS", "Infit z", "Outfit MS", "Outfit z", "Misfit"),
        [
            (
                r.name,
                r.n,
                md.fmt_num(r.infit, 2),
                md.fmt_num(r.infit_z, 2),
                md.fmt_num(r.outfit, 2),
                md.fmt_num(r.outfit_z, 2),
                "**yes**" if r.misfit else "no",
            )
            for r in rows
        ],
    )


def render_psychometrics_markdown(p: Psychometrics | None) -> str:
    """The "Psychometrics" section of report.md ("" when there is nothing to report)."""
    if p is None:
        return ""
    lo, hi = p.split_half_range
    inflation = (
        "This run paired **adaptively**: SSR is known to be inflated under adaptive pairing "
        "(Bramley & Vitello 2019), so read the split-half value; the rounds table shows both."
        if p.adaptive
        else "SSR uses the model's standard errors and is inflated when pairs are chosen "
        "adaptively (Bramley & Vitello 2019); split-half uses none."
    )
    reliability = "\n".join(
        [
            f"- Split-half reliability (Spearman–Brown, mean of {p.split_half_splits} random "
            f"halvings of the {p.n_judgements} judgements): **{p.split_half_reliability:.3f}** "
            f"(splits ranged {md.fmt_interval(lo, hi)})",
            f"- Scale separation reliability (SSR): {md.fmt_num(p.ssr)}",
            f"- {inflation}",
        ]
    )
    parts = [md.section("Reliability", reliability, level=3)]
    if p.rounds:
        parts.append(
            md.table(
                ("Round", "Comparisons", "Total", "Split-half", "SSR"),
                [
                    (r.index, r.comparisons, r.total, md.fmt_num(r.reliability), md.fmt_num(r.ssr))
                    for r in p.rounds
                ],
            )
        )
    worst = p.misfitting[:SHOWN_MISFITS]
    misfit_text = (
        f"{len(p.misfitting)} of {p.n_essays} essays misfit (infit mean-square > 1.3 "
        "with z > 2): the judge decides them inconsistently."
        if p.misfitting
        else f"No essay misfits (none of {p.n_essays} has an infit mean-square > 1.3 with z > 2)."
    )
    misfit_parts = [misfit_text]
    if worst:
        misfit_parts.append(_fit_table(worst, "Essay"))
    if p.unexpected:
        misfit_parts.append(
            "Their most unexpected judgements (P = the fit's probability of what happened):"
        )
        misfit_parts.append(
            md.table(
                ("Comparison", "Essay", "Result", "Opponent", "P(observed)"),
                [
                    (
                        u.comparison_id,
                        u.essay,
                        "won" if u.essay_won else "lost",
                        u.opponent,
                        md.fmt_num(u.p_observed, 3),
                    )
                    for u in p.unexpected
                ],
            )
        )
    parts.append(md.section("Misfit (essays)", *misfit_parts, level=3))
    parts.append(
        md.section(
            "Misfit (judge variants)",
            "All judgements of each variant under the common fit"
            + (" (one row per repeat)." if any("repeat" in j.name for j in p.judges) else "."),
            _fit_table(p.judges, "Judge"),
            level=3,
        )
    )
    lb = p.length_bias
    parts.append(
        md.section(
            "Bias audits",
            f"- **Length:** {lb.verdict} Raw r(score, words) = {md.fmt_num(lb.raw.r, 2)} "
            f"(95% CI {md.fmt_interval(*(lb.raw.ci95 or (None, None)), digits=2)}, "
            f"{lb.raw.n} essays).\n"
            f"- **Position:** {p.position_bias.verdict}"
            + (
                f" Essays with |z| > 2: {', '.join(p.position_bias.flagged)}."
                if p.position_bias.flagged
                else ""
            ),
            level=3,
        )
    )
    return md.section("Psychometrics", *parts)
