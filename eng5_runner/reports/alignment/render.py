"""anchor-align-test report rendering: the Markdown report and the terminal summary.

The numbers come from :class:`~eng5_runner.reports.alignment.models.AlignmentResult` unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from eng5_runner.reports import markdown as md
from eng5_runner.reports.position import render_position_markdown
from eng5_runner.reports.psychometrics import render_psychometrics_markdown

if TYPE_CHECKING:
    from rich.console import Console

    from eng5_runner.reports.alignment.models import AlignmentResult
    from eng5_runner.reports.context import ReportContext

__all__ = ["print_alignment_summary", "render_alignment_markdown"]


def render_alignment_markdown(
    result: AlignmentResult, ctx: ReportContext, *, plots: Sequence[Path | str] = ()
) -> str:
    """The anchor-alignment report; ``plots`` are the files :func:`write_alignment_plots` made."""
    r = result
    pos = r.position
    agree = r.agreement
    headline = (
        f"**Kendall's τ-b = {md.fmt_num(r.tau_b)} {_ci(r.tau_b_ci95)}** (ceiling "
        f"{md.fmt_num(r.tau_b_ceiling)} given ties in the expert grades) · Somers' d = "
        f"{md.fmt_num(r.somers_d)} {_ci(r.somers_d_ci95)} · agreement rate "
        f"{md.fmt_pct(agree.rate, 1)} {md.fmt_interval(agree.low, agree.high, pct=True, digits=1)}"
        f" · {r.counts.successful} successful comparisons of {r.n_anchors} anchors"
    )
    extra = [
        ("Kendall's τ-b (headline) [bootstrap 95%]", f"{md.fmt_num(r.tau_b)} {_ci(r.tau_b_ci95)}"),
        ("τ-b ceiling (ties in grades and scores)", md.fmt_num(r.tau_b_ceiling)),
        (
            "Somers' d (scale | grade) [bootstrap 95%]",
            f"{md.fmt_num(r.somers_d)} {_ci(r.somers_d_ci95)}",
        ),
        (
            "Agreement rate (higher grade won) [Wilson 95%]",
            f"{md.fmt_pct(agree.rate, 1)} "
            f"{md.fmt_interval(agree.low, agree.high, pct=True, digits=1)} ({agree.k}/{agree.n})",
        ),
        *_consistency_row(r),
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
        ("Tokens / cost (spent by this run)", r.counts.cost_text()),
        ("Prompt cache (hit rate, saved)", r.counts.cache_text()),
    ]
    summary = md.section(
        "Summary",
        headline,
        md.targets_table(r.targets, extra),
        md.targets_met_line(r.targets_met, ctx.status),
        _bootstrap_note(r),
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
            f"- Essays without wins: {md.escape_text(', '.join(bt.zero_win) or 'none')}; "
            f"without losses: {md.escape_text(', '.join(bt.zero_loss) or 'none')}",
            "- Converged: yes"
            if bt.converged
            else f"- ⚠️ **Not converged**: {bt.note or 'Newton stopped early'}",
        ]
    )
    if bt.fitted and bt.zero_win:
        fit_lines.append(
            "- A zero-win essay's score and interval are set by the ridge prior "
            "(λ above), not by its comparisons: read them as 'below its opponents', "
            "not as a measured distance."
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
        render_position_markdown(
            r.position_fit,
            f"{md.fmt_pct(pos.rate, 1)} {md.fmt_interval(pos.low, pos.high, pct=True, digits=1)}",
        ),
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


def _ci(interval: tuple[float, float] | None) -> str:
    return md.fmt_interval(*interval) if interval else "[—]"


def _consistency_row(r: AlignmentResult) -> list[tuple[str, str]]:
    c = r.self_consistency
    if c is None:
        return []
    return [
        (
            "Self-consistency (repeated pairs, same verdict every time) [Wilson 95%]",
            f"{md.fmt_pct(c.rate, 1)} {md.fmt_interval(c.low, c.high, pct=True, digits=1)} "
            f"({c.k}/{c.n} pairs)",
        )
    ]


def _bootstrap_note(r: AlignmentResult) -> str:
    b = r.bootstrap
    if b is None:
        return ""
    regularised = (
        f"; {b.regularised_resamples} resamples broke the win graph apart and were fitted "
        "with the ridge, as the run would be"
        if b.regularised_resamples
        else ""
    )
    requested = (
        f" (fewer than the configured {b.requested_resamples}, to bound the cost of a run "
        "this large)"
        if b.requested_resamples
        else ""
    )
    return (
        f"Intervals: τ-b and Somers' d by {b.method}, {b.resamples} resamples{requested}, "
        f"seed {b.seed}, "
        f"BT refitted with this run's settings{regularised}. They state {b.note}. "
        "Agreement rate: Wilson score interval. See docs/metrics.md."
    )


def print_alignment_summary(result: AlignmentResult, console: Console) -> None:
    """A compact terminal table: headline numbers and every target."""
    from rich.table import Table

    table = Table(title="Anchor alignment", show_header=True, header_style="bold")
    for column in ("Metric", "Value", "Target", "Result"):
        table.add_column(column, justify="left" if column == "Metric" else "right")
    table.add_row(
        "Kendall's τ-b [95%]",
        f"{md.fmt_num(result.tau_b)} {_ci(result.tau_b_ci95)}",
        f"ceiling {md.fmt_num(result.tau_b_ceiling)}",
        "",
    )
    table.add_row(
        "Somers' d [95%]", f"{md.fmt_num(result.somers_d)} {_ci(result.somers_d_ci95)}", "", ""
    )
    agree = result.agreement
    table.add_row(
        "Agreement rate [95%]",
        f"{md.fmt_pct(agree.rate, 1)} {md.fmt_interval(agree.low, agree.high, pct=True, digits=1)}",
        "",
        "",
    )
    for _label, value in _consistency_row(result):
        table.add_row("Self-consistency [95%]", value, "", "")
    for check in result.targets:
        shown = md.verdict(check)
        style = {"pass": "green", "fail": "red"}.get(shown, "yellow")
        value, limit = md.fmt_check(check)
        table.add_row(
            check.label,
            value,
            f"{check.comparator} {limit}",
            f"[{style}]{shown}[/]",
        )
    pos = result.position
    table.add_row("Slot-A win share", md.fmt_pct(pos.rate, 1), f"p = {md.fmt_p(pos.p_value)}", "")
    table.add_row(
        "Comparisons ok / failed", f"{result.counts.successful} / {result.counts.failed}", "", ""
    )
    console.print(table)
    if not result.bt.converged:
        console.print(f"[bold yellow]warning:[/] {result.bt.note}")
