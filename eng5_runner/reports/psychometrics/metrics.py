"""The psychometrics fields of summary.json ``metrics`` (docs/metrics.md names)."""

from __future__ import annotations

from eng5_runner.reports.psychometrics.models import Psychometrics


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
