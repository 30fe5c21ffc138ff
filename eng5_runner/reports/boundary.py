"""boundary-test: repeated, position-controlled comparisons of grade-boundary pairs.

Definitions follow METRICS.md "Boundary test". A record belongs to the first
listed pair whose two essays it compares; its order is "higher in A" when
``essay_a_id`` is the higher-graded essay. Degenerate data (no successful
comparisons, n = 1, equal confidences, 0 or n wins) gives None or collapsed
intervals, never nan or an exception.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from eng5_runner import stats
from eng5_runner.engine.records import JudgementRecord
from eng5_runner.reports import markdown as md
from eng5_runner.reports.context import (
    FailedJudgement,
    Frozen,
    Proportion,
    RecordCounts,
    ReportContext,
    TargetCheck,
    count_records,
    failed_judgements,
    finite,
    outcome,
    proportion,
)
from eng5_runner.reports.plots import write_boundary_plots
from eng5_runner.settings.models import ReportTargets
from eng5_runner.stats.position import OrderedJudgement, paired_position_test

if TYPE_CHECKING:
    from rich.console import Console

    from eng5_runner.inputs.inventory import Essay

__all__ = [
    "BoundaryPairResult",
    "BoundaryResult",
    "BoundaryStats",
    "MeanInterval",
    "build_boundary",
    "print_boundary_summary",
    "render_boundary_markdown",
    "write_boundary_plots",
]


class MeanInterval(Frozen):
    """Mean with a Student-t 95% interval; collapses to the mean for n = 1 or no spread."""

    n: int
    mean: float | None = None
    low: float | None = None
    high: float | None = None


class BoundaryStats(Frozen):
    """The boundary metrics of one pair, or of all pairs pooled."""

    comparisons: int
    """Successful comparisons."""
    failures: int
    win: Proportion
    """Comparisons won by the higher grade (Wilson 95% interval)."""
    confidence: MeanInterval
    slot_a: Proportion
    """Comparisons won by slot A (Wilson interval, exact two-sided binomial p vs 0.5)."""
    win_rate_higher_in_a: float | None
    win_rate_higher_in_b: float | None
    order_effect: float | None
    """P(higher wins | higher in A) − P(higher wins | higher in B)."""
    complete_iterations: int
    """Iterations with a successful judgement in both orders."""
    consistent_iterations: int
    position_consistency: float | None
    """Share of complete iterations whose two orders picked the same essay."""
    modal_agreement: float | None
    """max(k, n − k) / n; pooled: comparisons agreeing with their own pair's modal outcome."""
    higher_won_ab: tuple[bool | None, ...] = ()
    """Per iteration: the higher grade won with higher in slot A (None: not judged)."""
    higher_won_ba: tuple[bool | None, ...] = ()
    """Per iteration: the higher grade won with higher in slot B (None: not judged)."""
    slot_a_won_both: int = 0
    """Iterations judged in both orders in which slot A won both times (paired test)."""
    slot_b_won_both: int = 0
    position_paired_p: float | None = None
    """Exact two-sided binomial p of slot_a_won_both among the discordant iterations (1.0
    when none is discordant; None without an iteration judged in both orders)."""


class BoundaryPairResult(Frozen):
    higher: str
    higher_grade: str | None
    lower: str
    lower_grade: str | None
    higher_id: str
    lower_id: str
    stats: BoundaryStats


class BoundaryResult(Frozen):
    pairs: tuple[BoundaryPairResult, ...]
    pooled: BoundaryStats
    failures: tuple[FailedJudgement, ...]
    counts: RecordCounts
    targets: tuple[TargetCheck, ...]
    warnings: tuple[str, ...] = ()

    @property
    def targets_met(self) -> bool:
        return all(check.passed for check in self.targets)


class _Obs(NamedTuple):
    iteration: int
    higher_in_a: bool
    higher_won: bool
    confidence: float | None


def build_boundary(
    records: Sequence[JudgementRecord],
    pairs: Sequence[tuple[Essay, Essay]],
    *,
    targets: ReportTargets,
) -> BoundaryResult:
    """Per-pair and pooled boundary statistics; ``pairs`` are (higher, lower) essays."""
    observed: list[list[_Obs]] = [[] for _ in pairs]
    failed = [0] * len(pairs)
    unmatched = 0
    for record in records:
        ids = {record.essay_a_id, record.essay_b_id}
        slot = next(
            (i for i, (h, lo) in enumerate(pairs) if ids == {h.essay_id, lo.essay_id}), None
        )
        o = outcome(record)
        if slot is None:
            unmatched += o is not None
            continue
        if o is None:
            failed[slot] += 1
            continue
        higher = pairs[slot][0].essay_id
        observed[slot].append(
            _Obs(
                record.iteration,
                record.essay_a_id == higher,
                o.winner_id == higher,
                record.confidence,
            )
        )
    per_pair = [_stats(obs, fails) for obs, fails in zip(observed, failed, strict=True)]
    pooled = _stats([o for obs in observed for o in obs], sum(failed), per_pair)
    warnings = (
        [f"{unmatched} successful comparison(s) match no boundary pair; left out"]
        if unmatched
        else []
    )
    labels = {e.essay_id: e.label for pair in pairs for e in pair}
    return BoundaryResult(
        pairs=tuple(
            BoundaryPairResult(
                higher=h.label,
                higher_grade=h.grade,
                lower=lo.label,
                lower_grade=lo.grade,
                higher_id=h.essay_id,
                lower_id=lo.essay_id,
                stats=stats,
            )
            for (h, lo), stats in zip(pairs, per_pair, strict=True)
        ),
        pooled=pooled,
        failures=failed_judgements(records, labels),
        counts=count_records(records),
        targets=(
            TargetCheck.at_least(
                "pooled_win_rate",
                "Pooled win rate of the higher grade",
                pooled.win.rate,
                targets.boundary_win_rate_min,
            ),
            TargetCheck.at_least(
                "pooled_bias_p",
                "Pooled position-bias p (slot A vs 50%)",
                pooled.slot_a.p_value,
                targets.boundary_bias_p_min,
            ),
        ),
        warnings=tuple(warnings),
    )


def _stats(
    obs: Sequence[_Obs], failures: int, parts: Sequence[BoundaryStats] | None = None
) -> BoundaryStats:
    """Metrics over ``obs``; ``parts`` (per-pair stats) marks the pooled computation."""
    n = len(obs)
    k = sum(o.higher_won for o in obs)
    in_a = [o.higher_won for o in obs if o.higher_in_a]
    in_b = [o.higher_won for o in obs if not o.higher_in_a]
    effect = None
    if in_a and in_b:
        effect = finite(
            stats.order_effect([o.higher_in_a for o in obs], [o.higher_won for o in obs])
        )
    ab, ba = _by_iteration(obs) if parts is None else _pooled_orders(parts)
    complete = sum(1 for a, b in zip(ab, ba, strict=True) if a is not None and b is not None)
    consistency = finite(stats.position_consistency(ab, ba)) if complete else None
    if parts is None:
        modal = finite(stats.modal_agreement(k, n)) if n else None
    else:  # comparisons that agree with their own pair's majority
        modal = sum(max(p.win.k, p.win.n - p.win.k) for p in parts) / n if n else None
    if parts is None:
        paired = paired_position_test(
            OrderedJudgement(
                "H" if o.higher_in_a else "L",
                "L" if o.higher_in_a else "H",
                o.iteration,
                o.higher_won == o.higher_in_a,
            )
            for o in obs
        )
        a_both, b_both, matched = (
            paired.slot_a_won_both,
            paired.slot_b_won_both,
            paired.matched_pairs,
        )
    else:
        a_both = sum(p.slot_a_won_both for p in parts)
        b_both = sum(p.slot_b_won_both for p in parts)
        matched = complete
    return BoundaryStats(
        slot_a_won_both=a_both,
        slot_b_won_both=b_both,
        position_paired_p=finite(stats.binomial_test_p(a_both, a_both + b_both))
        if matched
        else None,
        comparisons=n,
        failures=failures,
        win=proportion(k, n),
        confidence=_mean_interval([o.confidence for o in obs if o.confidence is not None]),
        slot_a=proportion(sum(o.higher_won == o.higher_in_a for o in obs), n, test_half=True),
        win_rate_higher_in_a=sum(in_a) / len(in_a) if in_a else None,
        win_rate_higher_in_b=sum(in_b) / len(in_b) if in_b else None,
        order_effect=effect,
        complete_iterations=complete,
        consistent_iterations=round((consistency or 0.0) * complete),
        position_consistency=consistency,
        modal_agreement=modal,
        higher_won_ab=ab,
        higher_won_ba=ba,
    )


def _by_iteration(obs: Sequence[_Obs]) -> tuple[tuple[bool | None, ...], tuple[bool | None, ...]]:
    """Per iteration: did the higher grade win with higher in A / in B (first record)?"""
    by_order: dict[tuple[int, bool], bool] = {}
    for o in obs:
        by_order.setdefault((o.iteration, o.higher_in_a), o.higher_won)
    iterations = sorted({it for it, _ in by_order})
    return (
        tuple(by_order.get((it, True)) for it in iterations),
        tuple(by_order.get((it, False)) for it in iterations),
    )


def _pooled_orders(
    parts: Sequence[BoundaryStats],
) -> tuple[tuple[bool | None, ...], tuple[bool | None, ...]]:
    return (
        tuple(x for p in parts for x in p.higher_won_ab),
        tuple(x for p in parts for x in p.higher_won_ba),
    )


def _mean_interval(values: Sequence[float]) -> MeanInterval:
    if not values:
        return MeanInterval(n=0)
    mean, low, high = (finite(v) for v in stats.mean_t_interval(list(values)))
    if mean is None:
        mean = sum(values) / len(values)
    return MeanInterval(
        n=len(values),
        mean=mean,
        low=mean if low is None else low,
        high=mean if high is None else high,
    )


# ------------------------------------------------------------------------- rendering


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
