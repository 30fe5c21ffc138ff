"""Per-pair and pooled boundary statistics from the judgement records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from eng5_runner import stats
from eng5_runner.engine.records import JudgementRecord
from eng5_runner.reports.boundary.models import (
    BoundaryPairResult,
    BoundaryResult,
    BoundaryStats,
    MeanInterval,
)
from eng5_runner.reports.context import (
    TargetCheck,
    count_records,
    failed_judgements,
    finite,
    outcome,
    proportion,
)
from eng5_runner.settings.models import ReportTargets
from eng5_runner.stats.position import OrderedJudgement, paired_position_test

if TYPE_CHECKING:
    from eng5_runner.inputs.inventory import Essay


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
                stats=pair_stats,
            )
            for (h, lo), pair_stats in zip(pairs, per_pair, strict=True)
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
