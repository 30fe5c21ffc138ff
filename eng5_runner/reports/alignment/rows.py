"""Report rows from the fitted scale: one per anchor, one per inverted pair, sparse win counts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from eng5_runner import stats
from eng5_runner.engine.records import JudgementRecord
from eng5_runner.reports.alignment.models import AnchorRow, InversionRow
from eng5_runner.reports.context import Outcome, finite

if TYPE_CHECKING:
    from eng5_runner.inputs.inventory import Essay


Z95 = 1.959963984540054


def sparse_pair_wins(
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


def anchor_row(
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
    """Anchor ``i``'s row: its score with a 95% interval, ranks and record."""
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


def upset_records(
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


def inversion_row(
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
