"""Paired position test: pairs judged in both slot orders (METRICS.md "Position inside the model").

Two judgements of the same two essays in opposite slot orders form a *matched pair*.  If
the same essay won both, the judge was consistent and the pair says nothing about slot
bias.  If slot A won both times (each essay won when it was in A) or slot B won both, the
pair is *discordant*; without position bias the two kinds are equally likely, so the exact
two-sided binomial test on ``slot_a_won_both`` of the discordant pairs against 1/2 is a
valid test (a McNemar test).  The independent binomial test on all comparisons is not:
comparisons of the same pair are not independent draws.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

from eng5_runner.stats.boundary import binomial_test_p

__all__ = [
    "OrderedJudgement",
    "PairedPositionTest",
    "match_both_orders",
    "paired_position_test",
    "same_iteration",
    "consecutive_repeats",
]


class OrderedJudgement(NamedTuple):
    """One successful judgement: who was in slot A and B, the repeat index, who won."""

    a_id: str
    b_id: str
    iteration: int
    slot_a_won: bool


@dataclass(frozen=True)
class PairedPositionTest:
    """Counts over matched pairs and the exact p-value (1.0 when no matched pair is
    discordant, None when no pair was judged in both orders)."""

    matched_pairs: int
    slot_a_won_both: int
    slot_b_won_both: int
    same_essay_won_both: int
    position_paired_p: float | None

    @property
    def discordant(self) -> int:
        return self.slot_a_won_both + self.slot_b_won_both


def same_iteration(iteration: int) -> int:
    """Boundary test: the two orders of one iteration are matched."""
    return iteration


def consecutive_repeats(iteration: int) -> int:
    """``pairing.repeats`` ≥ 2: repeats 2k and 2k + 1 (whose slot orders alternate)."""
    return iteration // 2


def match_both_orders(
    judgements: Iterable[OrderedJudgement], match: Callable[[int], int] = same_iteration
) -> list[tuple[OrderedJudgement, OrderedJudgement]]:
    """Matched (first order, reversed order) judgements of the same pair and match key.

    Judgements are grouped by unordered pair and ``match(iteration)``; a group yields a
    matched pair when it holds exactly one judgement in each slot order (a failed
    judgement leaves its partner unmatched, and duplicates make the group ambiguous).
    """
    groups: dict[tuple[str, str, int], list[OrderedJudgement]] = defaultdict(list)
    for j in judgements:
        low, high = sorted((j.a_id, j.b_id))
        groups[(low, high, match(j.iteration))].append(j)
    matched = []
    for (low, _high, _key), group in groups.items():
        forward = [j for j in group if j.a_id == low]
        reverse = [j for j in group if j.a_id != low]
        if len(forward) == 1 and len(reverse) == 1:
            matched.append((forward[0], reverse[0]))
    return matched


def paired_position_test(
    judgements: Iterable[OrderedJudgement], match: Callable[[int], int] = same_iteration
) -> PairedPositionTest:
    """The paired position test over every pair judged in both orders."""
    pairs = match_both_orders(judgements, match)
    a_both = sum(1 for x, y in pairs if x.slot_a_won and y.slot_a_won)
    b_both = sum(1 for x, y in pairs if not x.slot_a_won and not y.slot_a_won)
    discordant = a_both + b_both
    return PairedPositionTest(
        matched_pairs=len(pairs),
        slot_a_won_both=a_both,
        slot_b_won_both=b_both,
        same_essay_won_both=len(pairs) - discordant,
        position_paired_p=binomial_test_p(a_both, discordant) if pairs else None,
    )
