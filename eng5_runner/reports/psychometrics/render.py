"""The "Psychometrics" section of report.md."""

from __future__ import annotations

from collections.abc import Sequence

from eng5_runner.reports import markdown as md
from eng5_runner.reports.psychometrics.models import SHOWN_MISFITS, FitRow, Psychometrics


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
