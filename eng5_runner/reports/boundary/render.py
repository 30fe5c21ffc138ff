"""The boundary-test report as markdown and as a terminal table."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from eng5_runner.reports import markdown as md
from eng5_runner.reports.boundary.models import BoundaryResult, BoundaryStats
from eng5_runner.reports.context import ReportContext, proportion

if TYPE_CHECKING:
    from rich.console import Console


def _pair_row(name: str, grades: str, s: BoundaryStats) -> tuple[str, ...]:
    return (
        name,
        grades,
        str(s.comparisons),
        f"{md.fmt_pct(s.win.rate)} {md.fmt_interval(s.win.low, s.win.high, pct=True)}",
        f"{md.fmt_num(s.confidence.mean, 2)} "
        f"{md.fmt_interval(s.confidence.low, s.confidence.high, digits=2)}",
        md.fmt_pct(s.slot_a.rate),
        md.fmt_p(s.slot_a.p_value),
        f"{s.slot_a_won_both} / {s.slot_b_won_both}",
        md.fmt_p(s.position_paired_p),
        md.fmt_num(s.order_effect, 2),
        f"{md.fmt_pct(s.position_consistency)} ({s.consistent_iterations}/{s.complete_iterations})",
        md.fmt_pct(s.modal_agreement),
        str(s.failures),
    )


def _consistency_ci(s: BoundaryStats) -> str:
    if not s.complete_iterations:
        return ""
    c = proportion(s.consistent_iterations, s.complete_iterations)
    return f"{md.fmt_interval(c.low, c.high, pct=True)} ({c.k}/{c.n} iterations)"


def render_boundary_markdown(
    result: BoundaryResult, ctx: ReportContext, *, plots: Sequence[Path | str] = ()
) -> str:
    """The boundary-test report; ``plots`` are the files :func:`write_boundary_plots` made."""
    p = result.pooled
    extra = [
        (
            "Pooled mean confidence (1–5)",
            f"{md.fmt_num(p.confidence.mean, 2)} "
            f"{md.fmt_interval(p.confidence.low, p.confidence.high, digits=2)}",
        ),
        (
            "Pooled slot-A win share",
            f"{md.fmt_pct(p.slot_a.rate, 1)} "
            f"{md.fmt_interval(p.slot_a.low, p.slot_a.high, pct=True, digits=1)}",
        ),
        (
            "Pooled paired position test (A won both / B won both)",
            f"{p.slot_a_won_both} / {p.slot_b_won_both}, p = {md.fmt_p(p.position_paired_p)}",
        ),
        ("Pooled order effect", md.fmt_num(p.order_effect, 3)),
        (
            "Position consistency (pooled) [Wilson 95%]",
            f"{md.fmt_pct(p.position_consistency)} {_consistency_ci(p)}",
        ),
        ("Modal agreement (pooled)", md.fmt_pct(p.modal_agreement)),
        (
            "Comparisons (successful / failed)",
            f"{result.counts.successful} / {result.counts.failed}",
        ),
        ("Tokens / cost (spent by this run)", result.counts.cost_text()),
        ("Prompt cache (hit rate, saved)", result.counts.cache_text()),
    ]
    summary = md.section(
        "Summary",
        md.targets_table(result.targets, extra),
        md.targets_met_line(result.targets_met, ctx.status),
    )
    rows = [
        _pair_row(f"{pr.higher} > {pr.lower}", f"{pr.higher_grade} / {pr.lower_grade}", pr.stats)
        for pr in result.pairs
    ]
    rows.append(_pair_row("**Pooled**", "", p))
    pairs = md.table(
        (
            "Pair (higher > lower)",
            "Grades",
            "n",
            "Higher wins [Wilson 95%]",
            "Mean confidence [t 95%]",
            "Slot A wins",
            "Bias p (descriptive)",
            "A won both / B won both",
            "Paired p",
            "Order effect",
            "Position consistency",
            "Modal agreement",
            "Failed",
        ),
        rows,
        align="llrrrrrrrrrrr",
    )
    definitions = "\n".join(
        [
            "- **Higher wins**: share of the pair's successful comparisons won by the "
            "higher grade, Wilson 95% interval.",
            "- **Slot A wins / bias p**: share won by the essay shown as A; exact two-sided "
            "binomial test against 50% (descriptive only: comparisons of one pair are not "
            "independent).",
            "- **A won both / B won both / paired p**: iterations judged in both orders in "
            "which slot A (B) won both times; exact two-sided binomial test of the two "
            "counts, the valid position test (METRICS.md).",
            "- **Order effect**: P(higher wins | higher in A) − P(higher wins | higher in B).",
            "- **Position consistency**: share of iterations whose two orders picked the same "
            "essay (iterations with both orders judged).",
            "- **Modal agreement**: max(k, n − k) / n over the pair's comparisons (pooled: "
            "comparisons agreeing with their pair's majority).",
        ]
    )
    return md.document(
        md.header(f"Boundary test report: {ctx.batch_label}", ctx, result.warnings),
        summary,
        md.section("Per pair", pairs, definitions),
        md.failures_section(result.failures),
        md.plots_section(plots),
        md.prompts_section(ctx),
        md.provenance_section(ctx),
    )


def print_boundary_summary(result: BoundaryResult, console: Console) -> None:
    """A compact terminal table: per pair and pooled, then the targets."""
    from rich.table import Table

    table = Table(title="Boundary test", header_style="bold")
    for column in ("Pair", "n", "Higher wins [95%]", "Slot A", "Bias p", "Consistency"):
        table.add_column(column, justify="left" if column == "Pair" else "right")
    entries = [(f"{pr.higher} > {pr.lower}", pr.stats) for pr in result.pairs]
    for name, s in entries + [("pooled", result.pooled)]:
        table.add_row(
            name,
            str(s.comparisons),
            f"{md.fmt_pct(s.win.rate)} {md.fmt_interval(s.win.low, s.win.high, pct=True)}",
            md.fmt_pct(s.slot_a.rate),
            md.fmt_p(s.slot_a.p_value),
            md.fmt_pct(s.position_consistency),
        )
    console.print(table)
    for check in result.targets:
        shown = md.verdict(check)
        style = {"pass": "green", "fail": "red"}.get(shown, "yellow")
        verdict = f"[{style}]{shown}[/]"
        console.print(
            f"{check.label}: {md.fmt_check(check)[0]} "
            f"(target {check.comparator} {md.fmt_check(check)[1]}) {verdict}"
        )
