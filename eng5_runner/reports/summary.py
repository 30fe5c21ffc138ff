"""Per-run ``summary.json``: the flat headline numbers a sweep leaderboard reads.

Keys of ``metrics`` (None where undefined, never nan):

- anchor-align-test: ``tau_b tau_b_ceiling tau_upstream somers_d direct_inversions
  majority_inversions inversion_rate zero_win_anchors zero_win_excl_bottom ab_regression
  ssr slot_a_rate slot_a_p slot_effect slot_effect_ci95 position_paired_p slot_a_won_both
  slot_b_won_both agreement_rate agreement_rate_ci95 tau_b_ci95 somers_d_ci95
  bootstrap_resamples self_consistency self_consistency_ci95 repeated_pairs bt_converged``
- boundary-test: ``pooled_win_rate pooled_slot_a_rate pooled_bias_p order_effect
  pooled_mean_confidence position_consistency modal_agreement position_paired_p
  slot_a_won_both slot_b_won_both`` and the intervals ``pooled_win_rate_ci95
  pooled_slot_a_rate_ci95 pooled_mean_confidence_ci95 position_consistency_ci95``
- execute: ``students projection_qwk_loo projection_exact_loo projection_within_one_loo
  projection_rps_loo slot_effect slot_effect_ci95``

``*_ci95`` values are two-element lists [low, high] (None where undefined). With
``report.baseline`` a top-level ``baseline`` object holds the paired comparison.

``targets`` maps each target name to pass/fail; ``targets_met`` is their
conjunction (None when the mode has no targets).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ConfigDict

from eng5_runner.output.atomic import write_json_atomic
from eng5_runner.reports.context import Frozen, RecordCounts, ReportContext, TargetCheck
from eng5_runner.reports.psychometrics import psychometrics_metrics
from eng5_runner.reports.uncertainty_metrics import boundary_intervals, uncertainty_metrics

if TYPE_CHECKING:
    from eng5_runner.reports.alignment.models import AlignmentResult
    from eng5_runner.reports.boundary.models import BoundaryResult

SUMMARY_FILE = "summary.json"
SummaryStatus = Literal["stub", "complete", "partial", "failed", "error"]
Metric = float | int | list[float] | None


class RunSummary(Frozen):
    """One run's headline numbers and provenance, flat for tables and CSV."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    summary_version: int = 1
    mode: str
    status: SummaryStatus
    metrics: dict[str, Metric] = {}
    targets: dict[str, bool] = {}
    targets_met: bool | None = None
    comparisons: int = 0
    """Successful comparisons."""
    failures: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    new_cost_usd: float = 0.0
    """Spent by this run (judgements not served from the store)."""
    run_signature: str | None = None
    batch_label: str | None = None
    experiment_name: str | None = None
    overrides: tuple[str, ...] = ()
    judge_provider: str | None = None
    judge_model: str | None = None
    simulated: bool | None = None
    system_prompt: str | None = None
    rubric: str | None = None
    generated_at: str | None = None
    students: list[dict[str, Any]] | None = None
    """execute: per student ``essay_id theta se projected_grade grade_probs`` and more."""
    baseline: dict[str, Any] | None = None
    """``report.baseline``: the paired comparison with that run (METRICS.md names)."""

    def write(self, path: Path) -> Path:
        """Write atomically as JSON."""
        return write_json_atomic(path, self.model_dump(mode="json"))


def read_run_summary(path: Path) -> RunSummary:
    """Load a ``summary.json`` (unknown keys from newer runners are ignored)."""
    return RunSummary.model_validate_json(path.read_text(encoding="utf-8"))


def _provenance(ctx: ReportContext | None) -> dict[str, object]:
    if ctx is None:
        return {}
    return {
        "run_signature": ctx.run_signature,
        "batch_label": ctx.batch_label,
        "experiment_name": ctx.experiment_name,
        "overrides": ctx.overrides,
        "judge_provider": ctx.judge_provider,
        "judge_model": ctx.judge_model,
        "simulated": ctx.simulated,
        "system_prompt": ctx.system_prompt.name,
        "rubric": ctx.rubric.name,
        "generated_at": ctx.created_at,
    }


def _make(
    mode: str,
    status: SummaryStatus,
    metrics: dict[str, Metric],
    checks: tuple[TargetCheck, ...],
    counts: RecordCounts,
    ctx: ReportContext | None,
) -> RunSummary:
    targets = {check.name: check.passed for check in checks}
    return RunSummary.model_validate(
        {
            "mode": mode,
            "status": status,
            "metrics": metrics,
            "targets": targets,
            "targets_met": all(targets.values()) if targets else None,
            "comparisons": counts.successful,
            "failures": counts.failed,
            "tokens": counts.tokens,
            "cost_usd": counts.cost_usd,
            "new_cost_usd": counts.new_cost_usd,
            "cost_known": counts.cost_known,
            "cache_hit_rate": counts.cache_hit_rate,
            "cache_saved_usd": counts.cache_saved_usd,
            **_provenance(ctx),
        }
    )


def summary_from_alignment(
    result: AlignmentResult, *, ctx: ReportContext | None = None, status: SummaryStatus = "complete"
) -> RunSummary:
    metrics: dict[str, Metric] = {
        "tau_b": result.tau_b,
        "tau_b_ceiling": result.tau_b_ceiling,
        "tau_upstream": result.tau_upstream,
        "somers_d": result.somers_d,
        "direct_inversions": result.direct_inversions,
        "majority_inversions": result.majority_inversions,
        "inversion_rate": result.inversion_rate,
        "zero_win_anchors": result.zero_win_anchors,
        "zero_win_excl_bottom": result.zero_win_excl_bottom,
        "ab_regression": result.ab_regression,
        "ssr": result.ssr,
        "slot_a_rate": result.position.rate,
        "slot_a_p": result.position.p_value,
        **(result.position_fit.metrics() if result.position_fit else {}),
        **uncertainty_metrics(result),
        **psychometrics_metrics(result.psychometrics),
    }
    return _make("anchor-align-test", status, metrics, result.targets, result.counts, ctx)


def summary_from_boundary(
    result: BoundaryResult, *, ctx: ReportContext | None = None, status: SummaryStatus = "complete"
) -> RunSummary:
    pooled = result.pooled
    metrics: dict[str, Metric] = {
        "pooled_win_rate": pooled.win.rate,
        "pooled_slot_a_rate": pooled.slot_a.rate,
        "pooled_bias_p": pooled.slot_a.p_value,
        "order_effect": pooled.order_effect,
        "pooled_mean_confidence": pooled.confidence.mean,
        "position_consistency": pooled.position_consistency,
        "modal_agreement": pooled.modal_agreement,
        "position_paired_p": pooled.position_paired_p,
        "slot_a_won_both": pooled.slot_a_won_both,
        "slot_b_won_both": pooled.slot_b_won_both,
        **boundary_intervals(result),
    }
    return _make("boundary-test", status, metrics, result.targets, result.counts, ctx)


def write_run_summary(
    path: Path,
    *,
    mode: str,
    status: SummaryStatus,
    metrics: dict[str, Metric],
    targets: dict[str, bool],
    comparisons: int = 0,
    failures: int = 0,
    tokens: int = 0,
    cost_usd: float = 0.0,
    ctx: ReportContext | None = None,
    students: list[dict[str, Any]] | None = None,
) -> RunSummary:
    """Write a summary for any mode (e.g. plan, dry-run, or an error) and return it."""
    summary = RunSummary.model_validate(
        {
            "mode": mode,
            "status": status,
            "metrics": metrics,
            "targets": targets,
            "targets_met": all(targets.values()) if targets else None,
            "comparisons": comparisons,
            "failures": failures,
            "tokens": tokens,
            "cost_usd": cost_usd,
            **_provenance(ctx),
            **({"students": students} if students is not None else {}),
        }
    )
    summary.write(path)
    return summary
