"""Statistics for the reports: Bradley–Terry, agreement with grades, boundary tests.

The public API named in METRICS.md ("Public statistics API"); numpy arrays or sequences
in, plain floats or small frozen dataclasses out, never nan or ±inf.
"""

from __future__ import annotations

from eng5_runner.stats.agreement import (
    InversionPair,
    cross_grade_records,
    direct_inversions,
    inversion_rate,
    kendall_tau_b,
    majority_inversions,
    somers_d,
    tau_b_ceiling,
    tau_upstream,
)
from eng5_runner.stats.bias import (
    Correlation,
    PositionAudit,
    PositionEffect,
    correlation,
    partial_correlation,
    position_effects,
)
from eng5_runner.stats.bootstrap import (
    BOOTSTRAP_METHOD,
    AgreementBootstrap,
    ComparisonSample,
    bootstrap_agreement,
    percentile_interval,
    rank_agreement_many,
)
from eng5_runner.stats.boundary import (
    binomial_test_p,
    mean_t_interval,
    modal_agreement,
    order_effect,
    position_consistency,
    wilson_interval,
)
from eng5_runner.stats.bt import DEFAULT_RIDGE, BTFit, BTNotIdentifiable, fit_bradley_terry
from eng5_runner.stats.grades import (
    GRADE_SCALES,
    UnknownGradeError,
    grade_rank,
    normalise_grade,
)
from eng5_runner.stats.misfit import (
    MISFIT_MS,
    MISFIT_Z,
    FitStatistic,
    UnexpectedJudgement,
    group_fit,
    item_fit,
    judgement_residuals,
    unexpected_judgements,
    wilson_hilferty_z,
)
from eng5_runner.stats.paired import (
    MIN_MATCHED,
    PairedComparison,
    Verdict,
    compare_paired,
    holm_adjust,
    mcnemar_exact_p,
    verdict_from_interval,
)
from eng5_runner.stats.reliability import scale_separation_reliability
from eng5_runner.stats.split_half import SplitHalf, spearman_brown, split_half_reliability

__all__ = [
    "BOOTSTRAP_METHOD",
    "DEFAULT_RIDGE",
    "MIN_MATCHED",
    "AgreementBootstrap",
    "ComparisonSample",
    "PairedComparison",
    "Verdict",
    "bootstrap_agreement",
    "compare_paired",
    "holm_adjust",
    "mcnemar_exact_p",
    "percentile_interval",
    "rank_agreement_many",
    "verdict_from_interval",
    "GRADE_SCALES",
    "BTFit",
    "BTNotIdentifiable",
    "InversionPair",
    "UnknownGradeError",
    "binomial_test_p",
    "cross_grade_records",
    "direct_inversions",
    "fit_bradley_terry",
    "grade_rank",
    "inversion_rate",
    "kendall_tau_b",
    "majority_inversions",
    "mean_t_interval",
    "modal_agreement",
    "normalise_grade",
    "order_effect",
    "position_consistency",
    "scale_separation_reliability",
    "somers_d",
    "tau_b_ceiling",
    "tau_upstream",
    "wilson_interval",
    "Correlation",
    "PositionAudit",
    "PositionEffect",
    "correlation",
    "partial_correlation",
    "position_effects",
    "MISFIT_MS",
    "MISFIT_Z",
    "FitStatistic",
    "UnexpectedJudgement",
    "group_fit",
    "item_fit",
    "judgement_residuals",
    "unexpected_judgements",
    "wilson_hilferty_z",
    "SplitHalf",
    "spearman_brown",
    "split_half_reliability",
]
