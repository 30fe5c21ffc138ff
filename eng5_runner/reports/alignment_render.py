"""anchor-align-test report rendering: the Markdown report and the terminal summary.

Split from :mod:`eng5_runner.reports.alignment` (which re-exports both functions); the
numbers come from :class:`~eng5_runner.reports.alignment.AlignmentResult` unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from eng5_runner.reports import markdown as md
from eng5_runner.reports.psychometrics import render_psychometrics_markdown

if TYPE_CHECKING:
    from rich.console import Console

    from eng5_runner.reports.alignment import AlignmentResult
    from eng5_runner.reports.context import ReportContext

__all__ = ["print_alignment_summary", "render_alignment_markdown"]


def render_alignment_markdown(
    result: AlignmentResult, ctx: ReportContext, *, plots: Sequence[Path | str] = ()
) -> str:
    """The anchor-alignment report; ``plots`` are the files :func:`write_alignment_plots` made."""
    r = result
    pos = r.position
    headline = (
        f"**Kendall's τ-b = {md.fmt_num(r.tau_b)}** (ceiling {md.fmt_num(r.tau_b_ceiling)} "
        f"given ties in the expert grades) · Somers' d = {md.fmt_num(r.somers_d)} · "
        f"{r.counts.successful} successful comparisons of {r.n_anchors} anchors"
    )
    extra = [
        ("Kendall's τ-b (headline)", md.fmt_num(r.tau_b)),
        ("τ-b ceiling (ties in grades and scores)", md.fmt_num(r.tau_b_ceiling)),
        ("Somers' d (scale | grade)", md.fmt_num(r.somers_d)),
        ("Majority inversions (pairs)", str(r.majority_inversions)),
        (
            "Inversion rate (comparisons)",
            f"{md.fmt_pct(r.inversion_rate, 1)} "
            f"({r.inverted_comparisons}/{r.cross_grade_comparisons})",
        ),
        (
            "Zero-win anchors (all)",
            f"{r.zero_win_anchors} "
            f"({', '.join(r.zero_win_labels) or 'none'}; lowest grade {r.lowest_grade or '—'})",
        ),
        (
            "Slot-A win share",
            f"{md.fmt_pct(pos.rate, 1)} "
            f"{md.fmt_interval(pos.low, pos.high, pct=True, digits=1)}, "
            f"p = {md.fmt_p(pos.p_value)}",
        ),
        ("Scale separation reliability", md.fmt_num(r.ssr)),
        ("Comparisons (successful / failed)", f"{r.counts.successful} / {r.counts.failed}"),
        (
            "Tokens / cost (spent by this run)",
            f"{r.counts.tokens:,} / ${r.counts.cost_usd:.4f} (${r.counts.new_cost_usd:.4f})",
        ),
    ]
    summary = md.section(
        "Summary",
        headline,
        md.targets_table(r.targets, extra),
        "Targets met: " + md.badge(r.targets_met),
    )
    bt = r.bt
    method = (
        f"penalised (ridge λ = {md.fmt_num(bt.ridge, 4)})"
        if bt.regularised
        else "maximum likelihood"
    )
    fit_lines = (
        [f"- {bt.note}"]
        if not bt.fitted
        else [
            f"- Estimation: {method}",
            f"- Strongly connected components of the win graph: {bt.n_components}",
            f"- Essays without wins: {', '.join(bt.zero_win) or 'none'}; "
            f"without losses: {', '.join(bt.zero_loss) or 'none'}",
        ]
    )
    rows = [
        (
            a.expected_rank,
            a.label,
            a.grade,
            f"{md.fmt_num(a.theta, 2)} ± {md.fmt_num(a.se, 2)}" if a.theta is not None else md.DASH,
            md.fmt_interval(a.ci_low, a.ci_high, digits=2),
            md.fmt_int(a.actual_rank),
            a.wins,
            a.losses,
            md.fmt_pct(a.win_rate),
            a.comparisons,
            a.source_file,
            a.bt_flag or "",
        )
        for a in r.anchors
    ]
    anchors = md.table(
        (
            "Expected",
            "Anchor",
            "Grade",
            "θ ± SE",
            "95% interval",
            "Actual",
            "Wins",
            "Losses",
            "Win rate",
            "Comparisons",
            "Source",
            "Flag",
        ),
        rows,
        align="rllrrrrrrrll",
    )
    inv_rows = [
        (
            f"{i.higher_label} ({i.higher_grade})",
            f"{i.lower_label} ({i.lower_grade})",
            f"{i.higher_wins}–{i.lower_wins}",
            "yes" if i.majority else "no",
            md.fmt_num(i.mean_confidence, 1),
            md.truncate(i.justification, 160),
        )
        for i in r.inversions
    ]
    inversions = (
        md.table(
            (
                "Higher grade",
                "Lower grade",
                "Record (higher–lower)",
                "Majority",
                "Mean confidence (inverted)",
                "Justification (one)",
            ),
            inv_rows,
        )
        if inv_rows
        else "None: no lower-graded anchor beat a higher-graded one."
    )
    return md.document(
        md.header(f"Anchor alignment report: {ctx.batch_label}", ctx, r.warnings),
        summary,
        md.section("Bradley–Terry fit", "\n".join(fit_lines)),
        md.section(
            "Per-anchor results",
            "Sorted by expected rank (expert grade; same-grade "
            "anchors by actual rank). θ is the BT logit score (Σθ = 0).",
            anchors,
        ),
        md.section("Inversions", inversions),
        render_psychometrics_markdown(r.psychometrics),
        md.failures_section(r.failures),
        md.plots_section(plots),
        md.prompts_section(ctx),
        md.provenance_section(ctx),
    )


def print_alignment_summary(result: AlignmentResult, console: Console) -> None:
    """A compact terminal table: headline numbers and every target."""
    from rich.table import Table

    table = Table(title="Anchor alignment", show_header=True, header_style="bold")
    for column in ("Metric", "Value", "Target", "Result"):
        table.add_column(column, justify="left" if column == "Metric" else "right")
    table.add_row(
        "Kendall's τ-b", md.fmt_num(result.tau_b), f"ceiling {md.fmt_num(result.tau_b_ceiling)}", ""
    )
    table.add_row("Somers' d", md.fmt_num(result.somers_d), "", "")
    for check in result.targets:
        style = "green" if check.passed else "red"
        table.add_row(
            check.label,
            md.fmt_target_value(check, check.value),
            f"{check.comparator} {md.fmt_target_value(check, check.threshold)}",
            f"[{style}]{'pass' if check.passed else 'fail'}[/]",
        )
    pos = result.position
    table.add_row("Slot-A win share", md.fmt_pct(pos.rate, 1), f"p = {md.fmt_p(pos.p_value)}", "")
    table.add_row(
        "Comparisons ok / failed", f"{result.counts.successful} / {result.counts.failed}", "", ""
    )
    console.print(table)
