"""Position inside the model: BT inputs from records, the slot effect and the paired test.

Shared by the anchor-align, boundary and execute reports (METRICS.md "Position inside the
model, and from scale to grades").  ``bt_inputs`` turns successful records into the
arrays ``fit_bradley_terry`` takes (slot of the winner, soft outcome); ``PositionSummary``
is what a report states about slot bias: the fitted slot effect b with its interval, and
the paired test on pairs judged in both orders, next to the descriptive slot-A share.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np

from eng5_runner.engine.records import JudgementRecord
from eng5_runner.reports.context import Frozen, finite, outcome
from eng5_runner.stats.position import OrderedJudgement, paired_position_test, same_iteration

if TYPE_CHECKING:
    from eng5_runner.stats.bt import BTFit

OutcomeKind = Literal["binary", "confidence"]


def soft_outcome(confidence: float | None) -> float:
    """P(the named winner is better) from the judge's 1–5 confidence: 0.5 + c / 10.

    1 → 0.6, 2 → 0.7, 3 → 0.8, 4 → 0.9, 5 → 1.0; a missing confidence counts as 5 (a
    clear win, as in the binary model).  Values outside 1–5 are clipped.
    """
    if confidence is None:
        return 1.0
    return 0.5 + min(5.0, max(1.0, float(confidence))) / 10.0


class BTInputs(Frozen):
    """Arrays for ``fit_bradley_terry`` from successful records between indexed essays."""

    winners: tuple[int, ...]
    losers: tuple[int, ...]
    winner_in_slot_a: tuple[bool, ...]
    outcomes: tuple[float, ...] | None

    def fit(
        self, n_items: int, *, ridge: float | None, position_model: Literal["none", "global"]
    ) -> BTFit:
        from eng5_runner.stats import fit_bradley_terry

        return fit_bradley_terry(
            n_items,
            np.asarray(self.winners, dtype=np.int64),
            np.asarray(self.losers, dtype=np.int64),
            ridge=ridge,
            position_model=position_model,
            winner_in_slot_a=np.asarray(self.winner_in_slot_a, dtype=bool),
            outcomes=None if self.outcomes is None else np.asarray(self.outcomes),
        )


def bt_inputs(
    records: Sequence[JudgementRecord], index: Mapping[str, int], kind: OutcomeKind = "binary"
) -> BTInputs:
    """Winners, losers, slot and (for ``confidence``) soft outcomes of the usable records."""
    winners, losers, in_a, soft = [], [], [], []
    for record in records:
        o = outcome(record)
        if o is None or o.winner_id not in index or o.loser_id not in index:
            continue
        winners.append(index[o.winner_id])
        losers.append(index[o.loser_id])
        in_a.append(o.slot_a_won)
        soft.append(soft_outcome(record.confidence))
    return BTInputs(
        winners=tuple(winners),
        losers=tuple(losers),
        winner_in_slot_a=tuple(in_a),
        outcomes=tuple(soft) if kind == "confidence" else None,
    )


def ordered_judgements(records: Sequence[JudgementRecord]) -> list[OrderedJudgement]:
    """Successful records as (slot A, slot B, iteration, slot A won)."""
    return [
        OrderedJudgement(r.essay_a_id, r.essay_b_id, r.iteration, o.slot_a_won)
        for r in records
        if (o := outcome(r)) is not None
    ]


class PositionSummary(Frozen):
    """Slot bias as a report states it."""

    position_model: str
    slot_effect: float | None = None
    slot_effect_se: float | None = None
    slot_effect_ci95: tuple[float, float] | None = None
    slot_effect_note: str | None = None
    matched_pairs: int = 0
    slot_a_won_both: int = 0
    slot_b_won_both: int = 0
    position_paired_p: float | None = None

    def plain_words(self) -> str:
        """ "The judge favours slot A by 0.41 logits (95% CI 0.22 to 0.60)." and the like."""
        if self.position_model == "none":
            return "No slot effect was fitted (report.position_model=none, upstream's model)."
        if self.slot_effect is None or self.slot_effect_ci95 is None:
            return f"The slot effect could not be estimated: {self.slot_effect_note or 'no data'}."
        b = self.slot_effect
        low, high = self.slot_effect_ci95
        slot, size = ("A", b) if b >= 0 else ("B", -b)
        words = (
            f"The judge favours slot {slot} by {size:.2f} logits "
            f"(b = {b:+.2f}, 95% CI {low:+.2f} to {high:+.2f})"
        )
        if low <= 0 <= high:
            words += "; the interval includes 0, so no clear position bias"
        return words + ". Scores are corrected for it."

    def metrics(self) -> dict[str, float | int | list[float] | None]:
        """The summary.json metrics (METRICS.md names)."""
        return {
            "slot_effect": self.slot_effect,
            "slot_effect_ci95": list(self.slot_effect_ci95) if self.slot_effect_ci95 else None,
            "position_paired_p": self.position_paired_p,
            "slot_a_won_both": self.slot_a_won_both,
            "slot_b_won_both": self.slot_b_won_both,
        }


def position_summary(
    fit: BTFit | None,
    records: Sequence[JudgementRecord],
    *,
    position_model: str,
    match: Callable[[int], int] = same_iteration,
) -> PositionSummary:
    """Slot effect from ``fit`` (if any) and the paired test over ``records``."""
    paired = paired_position_test(ordered_judgements(records), match)
    interval = fit.slot_effect_interval() if fit is not None else None
    return PositionSummary(
        position_model=position_model,
        slot_effect=finite(fit.slot_effect) if fit is not None else None,
        slot_effect_se=finite(fit.slot_effect_se) if fit is not None else None,
        slot_effect_ci95=interval,
        slot_effect_note=fit.slot_effect_note if fit is not None else None,
        matched_pairs=paired.matched_pairs,
        slot_a_won_both=paired.slot_a_won_both,
        slot_b_won_both=paired.slot_b_won_both,
        position_paired_p=finite(paired.position_paired_p),
    )


def render_position_markdown(summary: PositionSummary | None, slot_a_share: str = "") -> str:
    """A "Position inside the model" section: b in words, the paired test, the slot-A share."""
    from eng5_runner.reports import markdown as md

    if summary is None:
        return ""
    lines = [f"- {summary.plain_words()}"]
    if slot_a_share:
        lines.append(f"- Descriptive slot-A win share: {slot_a_share} (not a valid test).")
    if summary.matched_pairs:
        same = summary.matched_pairs - summary.slot_a_won_both - summary.slot_b_won_both
        lines.append(
            f"- Paired position test over {summary.matched_pairs} pair(s) judged in both "
            f"orders: slot A won both {summary.slot_a_won_both}×, slot B won both "
            f"{summary.slot_b_won_both}×, the same essay won both {same}×; exact two-sided "
            f"p = {md.fmt_p(summary.position_paired_p)} (the valid test)."
        )
    else:
        lines.append("- No pair was judged in both orders: no paired position test.")
    return md.section("Position inside the model", "\n".join(lines))
