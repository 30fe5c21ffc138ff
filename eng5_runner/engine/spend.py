"""``judge.max_cost_usd``: stop before this run's judge calls would cost more.

Before each comparison the scheduler reserves its worst case (every prompt
token uncached, the whole ``max_tokens`` answer); the reservation becomes the
real cost when the answer arrives. A comparison whose worst case no longer
fits under the cap is not sent: the run stops with :class:`SpendCapReached`
(exit 6) once the calls in flight are recorded, so the bill never passes the
cap and everything judged stays in the store for a resumed run.
"""

from __future__ import annotations

from eng5_runner.engine.pricing import Prices
from eng5_runner.errors import SpendCapReached


class SpendGuard:
    """Spent and reserved USD against a cap."""

    def __init__(self, cap_usd: float, prices: Prices, max_tokens: int) -> None:
        self.cap = cap_usd
        self.prices = prices
        self.max_tokens = max_tokens
        self.spent = 0.0
        self.reserved = 0.0
        self.judged = 0
        self.refused: float | None = None

    def worst_case(self, prompt_tokens: int) -> float:
        """The most one call with ``prompt_tokens`` input tokens can cost."""
        return (prompt_tokens * self.prices.input + self.max_tokens * self.prices.output) / 1e6

    def reserve(self, amount: float) -> bool:
        """Hold ``amount`` if it fits under the cap with what is spent and held."""
        if self.spent + self.reserved + amount > self.cap:
            self.refused = amount
            return False
        self.reserved += amount
        return True

    def settle(self, amount: float, cost: float) -> None:
        """Release a reservation and count what the call really cost."""
        self.reserved -= amount
        self.spent += cost
        self.judged += 1

    def error(self, remaining: int) -> SpendCapReached:
        """The one-line stop message."""
        return SpendCapReached(
            f"judge.max_cost_usd={self.cap:g} reached: ${self.spent:.4f} spent on "
            f"{self.judged} comparison(s) in this run; the next could cost up to "
            f"${self.refused or 0:.4f}, so {remaining} comparison(s) were not sent",
            hint="everything judged is stored; raise judge.max_cost_usd and run the same "
            "command again to go on",
        )
