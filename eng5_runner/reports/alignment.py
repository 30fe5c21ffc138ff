"""anchor-align-test: how well the judge's Bradley–Terry scale agrees with expert grades.

Every number follows METRICS.md "Agreement with expert grades". Only
successful judgements between two anchors count; failures are listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import Field

from eng5_runner import stats
from eng5_runner.engine.records import JudgementRecord
from eng5_runner.errors import InputError
from eng5_runner.inputs.grade_scales import UnknownGradeError, grade_rank
from eng5_runner.reports.alignment_render import print_alignment_summary, render_alignment_markdown
from eng5_runner.reports.context import (
    FailedJudgement,
    Frozen,
    Outcome,
    Proportion,
    RecordCounts,
    TargetCheck,
    count_records,
    failed_judgements,
    finite,
    outcome,
    proportion,
)
from eng5_runner.reports.plots import write_alignment_plots
from eng5_runner.reports.position import BTInputs, PositionSummary, bt_inputs, position_summary
from eng5_runner.reports.psychometrics import Psychometrics, build_psychometrics
from eng5_runner.reports.uncertainty import (
    BootstrapInfo,
    agreement_rate,
    bootstrap_info,
    self_consistency,
)
from eng5_runner.settings.models import ReportTargets
from eng5_runner.stats.position import consecutive_repeats

if TYPE_CHECKING:
    from eng5_runner.inputs.inventory import Essay

__all__ = [
    "AlignmentResult",
    "AnchorRow",
    "BTSummary",
    "InversionRow",
    "build_alignment",
    "print_alignment_summary",
    "render_alignment_markdown",
    "write_alignment_plots",
]

Z95 = 1.959963984540054


class AnchorRow(Frozen):
    """One anchor's line in the report; ``theta``/``se`` are None when BT was not fitted."""

    essay_id: str
    label: str
    grade: str
    grade_rank: int
    theta: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    actual_rank: int | None
    """1 = highest BT score; ties share the better rank."""
    expected_rank: int
    """Position in expert-grade order, same-grade anchors ordered by actual rank (upstream)."""
    wins: int
    losses: int
    comparisons: int
    win_rate: float | None
    source_file: str
    bt_flag: str | None = None
    """"no wins" / "no losses" when the BT fit flagged the essay."""


class InversionRow(Frozen):
    """A higher/lower-grade anchor pair where the lower grade won at least once."""

    higher_label: str
    higher_grade: str
    lower_label: str
    lower_grade: str
    higher_wins: int
    lower_wins: int
    majority: bool
    """The head-to-head record favours the lower grade."""
    mean_confidence: float | None
    """Mean judge confidence over the comparisons the lower grade won."""
    justification: str | None
    involves_ab: bool


class BTSummary(Frozen):
    fitted: bool
    regularised: bool = False
    ridge: float | None = None
    n_components: int | None = None
    loglik: float | None = None
    zero_win: tuple[str, ...] = ()
    zero_loss: tuple[str, ...] = ()
    isolated: tuple[str, ...] = ()
    note: str | None = None
    """Why the fit is missing, when it is."""
    converged: bool = True
    """False: Newton stopped before the gradient vanished (warned in the report)."""


class AlignmentResult(Frozen):
    grade_scale: str
    n_anchors: int
    tau_b: float | None
    tau_b_ceiling: float | None
    """Largest τ-b reachable given ties in the expert grades."""
    somers_d: float | None
    tau_upstream: float | None
    """Upstream τ-a, same-grade anchors ordered by actual rank (comparability only)."""
    direct_inversions: int
    majority_inversions: int
    inverted_comparisons: int
    cross_grade_comparisons: int
    inversion_rate: float | None
    zero_win_anchors: int
    zero_win_excl_bottom: int
    zero_win_labels: tuple[str, ...]
    lowest_grade: str | None
    ab_regression: int
    position: Proportion
    """Comparisons won by the essay in slot A (Wilson 95% CI, binomial p vs 0.5)."""
    ssr: float | None
    bt: BTSummary
    anchors: tuple[AnchorRow, ...]
    """Sorted by expected rank."""
    pair_wins: tuple[tuple[int, int, int], ...]
    """Sparse win counts ``(i, j, k)``: ``anchors[i]`` beat ``anchors[j]`` ``k`` times.

    Only pairs that met, sorted by ``(i, j)``: size linear in the comparisons, never n × n.
    """
    inversions: tuple[InversionRow, ...]
    failures: tuple[FailedJudgement, ...]
    counts: RecordCounts
    targets: tuple[TargetCheck, ...]
    warnings: tuple[str, ...] = ()
    position_fit: PositionSummary | None = None
    """Slot effect b in the BT fit and the paired position test (consecutive repeats)."""
    agreement: Proportion = Proportion(k=0, n=0)
    """``agreement_rate``: cross-grade comparisons won by the higher grade, Wilson 95%."""
    tau_b_ci95: tuple[float, float] | None = None
    somers_d_ci95: tuple[float, float] | None = None
    bootstrap: BootstrapInfo | None = None
    """How ``tau_b_ci95`` / ``somers_d_ci95`` were computed."""
    self_consistency: Proportion | None = None
    """Repeated pairs (``pairing.repeats`` ≥ 2) whose judgements all agreed; Wilson 95%."""
    psychometrics: Psychometrics | None = Field(None, exclude=True)
    """Misfit, split-half reliability, bias audits (the artefact's top-level object)."""

    @property
    def targets_met(self) -> bool:
        return all(check.passed for check in self.targets)

    @property
    def win_matrix(self) -> tuple[tuple[int, ...], ...]:
        """Dense ``n × n`` view of :attr:`pair_wins` (for small n only; not serialised)."""
        dense = [[0] * self.n_anchors for _ in range(self.n_anchors)]
        for i, j, k in self.pair_wins:
            dense[i][j] = k
        return tuple(tuple(row) for row in dense)


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
    theta, se, bt, fit = _fit(n, inputs, ridge, labels, position_model)
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
    lost_by = _upsets(used, index, {(p.lower, p.higher) for p in cross if p.inverted})
    inversions = tuple(
        _inversion(anchors, pair, lost_by.get((pair.lower, pair.higher), []))
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
        _row(
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
        pair_wins=_pair_wins(n, win_idx, lose_idx, order),
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


def _fit(
    n: int,
    inputs: BTInputs,
    ridge: float | None,
    labels: list[str],
    position_model: Literal["none", "global"] = "none",
) -> tuple[list[float] | None, list[float] | None, BTSummary, stats.BTFit | None]:
    if n < 2 or len(inputs.winners) == 0:
        return (
            None,
            None,
            BTSummary(
                fitted=False,
                note="no successful comparisons between "
                "anchors: the Bradley–Terry scale was not fitted",
            ),
            None,
        )
    try:
        fit = inputs.fit(n, ridge=ridge, position_model=position_model)
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
        return None, None, BTSummary(fitted=False, note=f"Bradley–Terry fit failed: {exc}"), None
    bt = BTSummary(
        fitted=True,
        regularised=bool(fit.regularised),
        ridge=finite(fit.ridge),
        n_components=int(fit.n_components),
        loglik=finite(fit.loglik),
        zero_win=tuple(labels[i] for i in fit.zero_win_items),
        zero_loss=tuple(labels[i] for i in fit.zero_loss_items),
        isolated=tuple(labels[i] for i in getattr(fit, "isolated_items", ())),
        converged=bool(fit.converged),
        note=None
        if fit.converged
        else f"the Bradley–Terry fit did not converge after {fit.iterations} Newton "
        "iterations: scores, SEs and τ-b are from the last iterate and may be off",
    )
    return [float(t) for t in fit.theta], [float(x) for x in fit.se], bt, fit


def _pair_wins(
    n: int, winners: np.ndarray, losers: np.ndarray, order: Sequence[int]
) -> tuple[tuple[int, int, int], ...]:
    """Win counts per (winner, loser) pair that met, in expected-rank positions."""
    if not len(winners):
        return ()
    position = np.empty(n, dtype=np.int64)
    position[np.asarray(order, dtype=np.int64)] = np.arange(n)
    keys, counts = np.unique(position[winners] * n + position[losers], return_counts=True)
    pairs = zip(keys.tolist(), counts.tolist(), strict=True)
    return tuple((int(k // n), int(k % n), int(c)) for k, c in pairs)


def _row(
    essay: Essay,
    rank: int,
    theta: list[float] | None,
    se: list[float] | None,
    actual: list[int] | None,
    expected: int,
    wins: int,
    losses: int,
    flag: str | None,
    i: int,
) -> AnchorRow:
    t = theta[i] if theta else None
    s = finite(se[i]) if se else None
    games = wins + losses
    return AnchorRow(
        essay_id=essay.essay_id,
        label=essay.label,
        grade=essay.grade or "",
        grade_rank=rank,
        theta=t,
        se=s,
        ci_low=t - Z95 * s if t is not None and s is not None else None,
        ci_high=t + Z95 * s if t is not None and s is not None else None,
        actual_rank=actual[i] if actual else None,
        expected_rank=expected,
        wins=wins,
        losses=losses,
        comparisons=games,
        win_rate=wins / games if games else None,
        source_file=Path(essay.source.path).name,
        bt_flag=flag,
    )


def _upsets(
    used: Sequence[tuple[JudgementRecord, Outcome]],
    index: dict[str, int],
    pairs: set[tuple[int, int]],
) -> dict[tuple[int, int], list[JudgementRecord]]:
    """The records of each inverted (lower winner, higher loser) pair, in one pass."""
    lost: dict[tuple[int, int], list[JudgementRecord]] = {}
    for r, o in used:
        key = (index[o.winner_id], index[o.loser_id])
        if key in pairs:
            lost.setdefault(key, []).append(r)
    return lost


def _inversion(
    anchors: Sequence[Essay], pair: stats.InversionPair, lost: Sequence[JudgementRecord]
) -> InversionRow:
    """The pair's row, with confidence and a justification from the comparisons it lost."""
    high, low = anchors[pair.higher], anchors[pair.lower]
    conf = [r.confidence for r in lost if r.confidence is not None]
    return InversionRow(
        higher_label=high.label,
        higher_grade=high.grade or "",
        lower_label=low.label,
        lower_grade=low.grade or "",
        higher_wins=pair.higher_wins,
        lower_wins=pair.lower_wins,
        majority=pair.majority,
        mean_confidence=sum(conf) / len(conf) if conf else None,
        justification=next((r.justification for r in lost if r.justification), None),
        involves_ab=any((g or " ")[0] in "AB" for g in (high.grade, low.grade)),
    )
