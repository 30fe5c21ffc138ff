"""The anchor-align-test results: per-anchor rows, inversions, the BT fit and the metrics."""

from __future__ import annotations

from pydantic import Field

from eng5_runner.reports.context import (
    FailedJudgement,
    Frozen,
    Proportion,
    RecordCounts,
    TargetCheck,
)
from eng5_runner.reports.position import PositionSummary
from eng5_runner.reports.psychometrics import Psychometrics
from eng5_runner.reports.uncertainty import BootstrapInfo


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
