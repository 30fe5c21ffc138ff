"""What the Psychometrics section shows: fit rows, bias audits, adaptive rounds."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

#: Most misfitting essays listed in the report.
SHOWN_MISFITS = 5


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FitRow(_Frozen):
    """Infit/outfit of an essay or a judge variant."""

    name: str
    essay_id: str | None = None
    n: int
    infit: float | None
    outfit: float | None
    infit_z: float | None
    outfit_z: float | None
    misfit: bool


class Unexpected(_Frozen):
    """A surprising judgement of a misfitting essay."""

    comparison_id: str
    essay: str
    opponent: str
    essay_won: bool
    p_observed: float


class CorrelationRow(_Frozen):
    r: float | None
    ci95: tuple[float, float] | None
    n: int


class LengthBias(_Frozen):
    raw: CorrelationRow
    partial: CorrelationRow
    """Controlling for the expert grade (anchors only)."""
    evidence: bool
    verdict: str


class PositionBias(_Frozen):
    mean_residual_a: float
    z: float
    p_value: float
    flagged: tuple[str, ...]
    tested: int
    evidence: bool
    verdict: str


class RoundRow(_Frozen):
    index: int
    comparisons: int
    total: int
    reliability: float
    ssr: float


class Psychometrics(_Frozen):
    """Everything the Psychometrics section shows; the artefact's ``psychometrics``."""

    n_essays: int
    n_judgements: int
    ssr: float | None
    split_half_reliability: float
    split_half_range: tuple[float, float]
    split_half_splits: int
    adaptive: bool
    essays: tuple[FitRow, ...]
    misfitting: tuple[FitRow, ...]
    unexpected: tuple[Unexpected, ...]
    judges: tuple[FitRow, ...]
    length_bias: LengthBias
    position_bias: PositionBias
    rounds: tuple[RoundRow, ...] = ()
