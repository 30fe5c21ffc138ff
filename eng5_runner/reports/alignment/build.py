"""Compute every anchor-alignment metric from the judgement records (METRICS.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from eng5_runner import stats
from eng5_runner.engine.records import JudgementRecord
from eng5_runner.errors import InputError
from eng5_runner.inputs.grade_scales import UnknownGradeError, grade_rank
from eng5_runner.reports.alignment.fit import fit_anchor_scale
from eng5_runner.reports.alignment.models import AlignmentResult
from eng5_runner.reports.alignment.rows import (
    anchor_row,
    inversion_row,
    sparse_pair_wins,
    upset_records,
)
from eng5_runner.reports.context import (
    TargetCheck,
    count_records,
    failed_judgements,
    finite,
    outcome,
    proportion,
)
from eng5_runner.reports.position import bt_inputs, position_summary
from eng5_runner.reports.psychometrics import build_psychometrics
from eng5_runner.reports.uncertainty import agreement_rate, bootstrap_info, self_consistency
from eng5_runner.settings.models import ReportTargets
from eng5_runner.stats.position import consecutive_repeats

if TYPE_CHECKING:
    from eng5_runner.inputs.inventory import Essay


def _ranks(anchors: Sequence[Essay], scale: str) -> list[int]:
    ranks = []
    for essay in anchors:
        try:
            ranks.append(grade_rank(essay.grade or "", scale))
        except UnknownGradeError as exc:
            raise InputError(f"anchor '{essay.label}' ({essay.source.path}): {exc}") from None
    return ranks


def build_alignment(
    records: Sequence[JudgementRecord],
    anchors: Sequence[Essay],
    *,
    grade_scale: str,
    targets: ReportTargets,
    ridge: float | None = None,
    position_model: Literal["none", "global"] = "none",
    outcome_kind: Literal["binary", "confidence"] = "binary",
    resamples: int = 1000,
    max_refit_comparisons: int = 0,
    seed: int = 0,
    rounds: Sequence[Any] | None = None,
) -> AlignmentResult:
    """Compute every anchor-alignment metric from the judgement records.

    ``position_model="global"`` fits the slot effect with θ (scores corrected for
    position); ``outcome_kind="confidence"`` fits soft outcomes from the confidences.
    ``resamples``/``seed``: the bootstrap of the τ-b and Somers' d intervals.
    ``rounds``: the adaptive rounds (``engine.adaptive.RoundInfo``) when pairing was adaptive.
    """
    n = len(anchors)
    index = {essay.essay_id: i for i, essay in enumerate(anchors)}
    ranks = _ranks(anchors, grade_scale)
    labels = [essay.label for essay in anchors]
    decided = [(r, o) for r in records if (o := outcome(r)) is not None]
    used = [(r, o) for r, o in decided if o.winner_id in index and o.loser_id in index]
    warnings = []
    if len(used) < len(decided):
        warnings.append(
            f"{len(decided) - len(used)} successful comparison(s) involve essays "
            "that are not anchors; they are left out"
        )
    win_idx = np.array([index[o.winner_id] for _, o in used], dtype=np.int64)
    lose_idx = np.array([index[o.loser_id] for _, o in used], dtype=np.int64)
    wins = np.bincount(win_idx, minlength=n)
    losses = np.bincount(lose_idx, minlength=n)
    inputs = bt_inputs([r for r, _ in used], index, outcome_kind)
    theta, se, bt, fit = fit_anchor_scale(n, inputs, ridge, labels, position_model)
    if bt.note:
        warnings.append(bt.note)

    actual = None  # competition ranking: 1 + number of clearly higher scores
    if theta is not None:
        t = np.asarray(theta)
        higher = n - np.searchsorted(np.sort(t), t + 1e-9, side="right")  # n log n, not n²
        actual = [int(r) for r in 1 + higher]
    order = sorted(range(n), key=lambda i: (ranks[i], actual[i] if actual else 0, labels[i]))
    expected = {i: pos + 1 for pos, i in enumerate(order)}

    grade_arr = np.array(ranks, dtype=np.int64)
    cross = stats.cross_grade_records(win_idx, lose_idx, grade_arr)
    lost_by = upset_records(used, index, {(p.lower, p.higher) for p in cross if p.inverted})
    inversions = tuple(
        inversion_row(anchors, pair, lost_by.get((pair.lower, pair.higher), []))
        for pair in cross
        if pair.inverted
    )
    cross_total = sum(pair.comparisons for pair in cross)
    inverted = sum(pair.lower_wins for pair in cross)

    bottom = max(ranks) if ranks else None
    zero_win = [i for i in order if wins[i] == 0]
    zero_excl = sum(1 for i in zero_win if ranks[i] != bottom)
    ab_regression = sum(1 for inv in inversions if inv.involves_ab)
    flagged = {
        **{lb: "no losses" for lb in bt.zero_loss},
        **{lb: "no wins" for lb in bt.zero_win},
        **{lb: "not compared" for lb in bt.isolated},
    }
    rows = tuple(
        anchor_row(
            anchors[i],
            ranks[i],
            theta,
            se,
            actual,
            expected[i],
            int(wins[i]),
            int(losses[i]),
            flagged.get(labels[i]),
            i,
        )
        for i in order
    )
    grades_up = [-float(r) for r in ranks]
    graded = len(set(ranks)) > 1  # else τ-b, its ceiling and Somers' d are undefined
    tau_b = somers = tau_up = ssr = ceiling = None
    if theta is not None and se is not None and actual is not None:
        scores = [round(t, 9) for t in theta]  # numerically equal θ count as tied
        spread = max(theta) - min(theta) > 1e-9
        tau_b = finite(stats.kendall_tau_b(grades_up, scores)) if graded and spread else None
        somers = finite(stats.somers_d(grades_up, scores)) if graded else None
        ceiling = finite(stats.tau_b_ceiling(grades_up, scores)) if graded and spread else None
        tau_up = finite(stats.tau_upstream([a.grade or "" for a in anchors], actual))
        ssr = finite(stats.scale_separation_reliability(theta, se)) if spread else None
    tau_ci = somers_ci = boot = None
    if theta is not None and graded:
        tau_ci, somers_ci, boot, boot_warning = bootstrap_info(
            n,
            win_idx,
            lose_idx,
            grades_up,
            resamples=resamples,
            max_refit_comparisons=max_refit_comparisons,
            seed=seed,
            ridge=ridge,
            model={
                "position_model": position_model,
                "winner_in_slot_a": np.asarray(inputs.winner_in_slot_a, dtype=bool),
                "outcomes": inputs.outcomes,
            },
        )
        if boot_warning:
            warnings.append(boot_warning)
    return AlignmentResult(
        grade_scale=grade_scale,
        n_anchors=n,
        tau_b=tau_b,
        tau_b_ceiling=ceiling,
        somers_d=somers,
        tau_upstream=tau_up,
        direct_inversions=len(inversions),
        majority_inversions=sum(1 for inv in inversions if inv.majority),
        inverted_comparisons=inverted,
        cross_grade_comparisons=cross_total,
        inversion_rate=inverted / cross_total if cross_total else None,
        zero_win_anchors=len(zero_win),
        zero_win_excl_bottom=zero_excl,
        zero_win_labels=tuple(labels[i] for i in zero_win),
        lowest_grade=anchors[ranks.index(bottom)].grade if bottom is not None else None,
        ab_regression=ab_regression,
        position=proportion(sum(1 for _, o in used if o.slot_a_won), len(used), test_half=True),
        ssr=ssr,
        bt=bt,
        anchors=rows,
        pair_wins=sparse_pair_wins(n, win_idx, lose_idx, order),
        inversions=inversions,
        failures=failed_judgements(records, {e.essay_id: e.label for e in anchors}),
        counts=count_records(records),
        targets=(
            TargetCheck.at_most(
                "direct_inversions",
                "Direct inversions (unique pairs)",
                len(inversions),
                targets.direct_inversions_max,
            ),
            TargetCheck.at_most(
                "zero_win_excl_bottom",
                "Zero-win anchors (excl. lowest grade)",
                zero_excl,
                targets.zero_win_anchors_max,
            ),
            TargetCheck.at_least(
                "tau_upstream", "Kendall's τ (upstream τ-a)", tau_up, targets.tau_upstream_min
            ),
            TargetCheck.at_most(
                "ab_regression",
                "A/B regression (inversions with A or B)",
                ab_regression,
                targets.ab_regression_max,
            ),
        ),
        warnings=tuple(warnings),
        position_fit=position_summary(
            fit, [r for r, _ in used], position_model=position_model, match=consecutive_repeats
        ),
        agreement=agreement_rate(cross_total, inverted),
        tau_b_ci95=tau_ci if tau_b is not None else None,
        somers_d_ci95=somers_ci if somers is not None else None,
        bootstrap=boot,
        self_consistency=self_consistency(
            [o.winner_id for _, o in used], [o.loser_id for _, o in used]
        ),
        psychometrics=build_psychometrics(
            records, anchors, grade_scale=grade_scale, ridge=ridge, rounds=rounds
        ),
    )
