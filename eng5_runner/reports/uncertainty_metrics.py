"""The interval keys of ``summary.json`` ``metrics`` (METRICS.md names), flat and JSON-ready."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eng5_runner.reports.context import Proportion, proportion

if TYPE_CHECKING:
    from eng5_runner.reports.alignment.models import AlignmentResult
    from eng5_runner.reports.boundary.models import BoundaryResult

Interval = list[float] | None


def interval(low: float | None, high: float | None) -> Interval:
    """[low, high], or None when either end is undefined."""
    return None if low is None or high is None else [float(low), float(high)]


def _wilson(p: Proportion | None) -> Interval:
    return None if p is None else interval(p.low, p.high)


def uncertainty_metrics(result: AlignmentResult) -> dict[str, float | int | Interval]:
    """Agreement rate, bootstrap intervals, self-consistency and the BT convergence flag."""
    consistency = result.self_consistency
    return {
        "agreement_rate": result.agreement.rate,
        "agreement_rate_ci95": _wilson(result.agreement),
        "tau_b_ci95": list(result.tau_b_ci95) if result.tau_b_ci95 else None,
        "somers_d_ci95": list(result.somers_d_ci95) if result.somers_d_ci95 else None,
        "bootstrap_resamples": result.bootstrap.resamples if result.bootstrap else None,
        "self_consistency": consistency.rate if consistency else None,
        "self_consistency_ci95": _wilson(consistency),
        "repeated_pairs": consistency.n if consistency else 0,
        "bt_converged": int(result.bt.converged) if result.bt.fitted else None,
    }


def boundary_intervals(result: BoundaryResult) -> dict[str, Interval]:
    """The pooled boundary numbers' 95% intervals (Wilson; Student-t for the mean)."""
    pooled = result.pooled
    consistency = (
        proportion(pooled.consistent_iterations, pooled.complete_iterations)
        if pooled.complete_iterations
        else None
    )
    return {
        "pooled_win_rate_ci95": _wilson(pooled.win),
        "pooled_slot_a_rate_ci95": _wilson(pooled.slot_a),
        "pooled_mean_confidence_ci95": interval(pooled.confidence.low, pooled.confidence.high),
        "position_consistency_ci95": _wilson(consistency),
    }
