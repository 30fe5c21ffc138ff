"""The boundary-test results: per-pair and pooled statistics (METRICS.md "Boundary test")."""

from __future__ import annotations

from eng5_runner.reports.context import (
    FailedJudgement,
    Frozen,
    Proportion,
    RecordCounts,
    TargetCheck,
)


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
