"""An offline judge driven by a latent quality per essay; deterministic per seed.

Model (qualities in grade steps, higher = better; see ``run_local``)::

    s      = noise * sqrt(3) / pi          # logistic scale whose sd is ``noise`` steps
    logit  = scale * (q_A - q_B) / s + position_bias
    P(A)   = 1 / (1 + exp(-logit))
    winner = "A" if u < P(A) else "B",  u = uniform draw from sha256(seed, a_id, b_id, iteration)

So ``scale`` stretches the grade steps, ``noise`` is the judge's perception
error (0 = always right, ties then go to the favoured slot, or to the draw),
and ``position_bias`` is a logit bonus for slot A. Because ``u`` comes from a
hash rather than a shared RNG, answers do not depend on scheduling order.
Confidence is 1–5 from ``|logit|`` (< 0.5 → 1, < 1.5 → 2, < 2.5 → 3, < 3.5 → 4,
else 5). Records say ``provider="simulated"`` so reports can state it plainly.

Two options exist only to test the psychometrics (never a model of a real judge):
``inconsistent_essays`` makes every comparison with one of those essays a fair
coin toss (P(A) = 0.5), and ``length_bias`` adds ``length_bias * log2(words_A /
words_B)`` to the logit (word counts passed by the engine).
"""

from __future__ import annotations

import asyncio
import hashlib
import math
from collections.abc import Mapping
from typing import Literal

from eng5_runner.engine.judges.prompt import JudgePrompt
from eng5_runner.engine.records import JudgeAnswer, PairRequest
from eng5_runner.settings.models import JudgeSettings

_LOGISTIC_SD = math.pi / math.sqrt(3)


def uniform_draw(seed: int, a_id: str, b_id: str, iteration: int) -> float:
    """A reproducible draw in [0, 1) from the comparison's identity."""
    digest = hashlib.sha256(f"{seed}\0{a_id}\0{b_id}\0{iteration}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class SimulatedJudge:
    """Picks winners from latent qualities with logistic noise and position bias."""

    provider = "simulated"

    def __init__(
        self,
        settings: JudgeSettings,
        qualities: Mapping[str, float],
        *,
        word_counts: Mapping[str, int] | None = None,
    ) -> None:
        self.settings = settings
        self.params = settings.simulated
        self.model = settings.model
        self.qualities = qualities
        self.word_counts = word_counts or {}
        self.inconsistent = frozenset(self.params.inconsistent_essays)

    def _length_term(self, a_id: str, b_id: str) -> float:
        if self.params.length_bias == 0:
            return 0.0
        words_a = max(1, self.word_counts.get(a_id, 1))
        words_b = max(1, self.word_counts.get(b_id, 1))
        return self.params.length_bias * math.log2(words_a / words_b)

    def logit(self, a_id: str, b_id: str) -> float:
        """Log-odds that slot A wins (may be ±inf when ``noise`` is 0)."""
        if a_id in self.inconsistent or b_id in self.inconsistent:
            return 0.0
        diff = self.params.scale * (self.qualities[a_id] - self.qualities[b_id])
        bias = self.params.position_bias + self._length_term(a_id, b_id)
        if self.params.noise == 0:
            if diff == 0:
                return bias
            return math.copysign(math.inf, diff)
        return diff * _LOGISTIC_SD / self.params.noise + bias

    def p_a_wins(self, a_id: str, b_id: str) -> float:
        logit = self.logit(a_id, b_id)
        if logit == math.inf:
            return 1.0
        if logit == -math.inf:
            return 0.0
        return 1.0 / (1.0 + math.exp(-logit))

    async def judge(self, prompt: JudgePrompt, request: PairRequest) -> JudgeAnswer:
        if self.params.latency_ms > 0:
            await asyncio.sleep(self.params.latency_ms / 1000)
        return self.judge_now(request)

    def judge_now(self, request: PairRequest) -> JudgeAnswer:
        """The answer without the simulated latency."""
        logit = self.logit(request.a_id, request.b_id)
        p_a = self.p_a_wins(request.a_id, request.b_id)
        draw = uniform_draw(self.params.seed, request.a_id, request.b_id, request.iteration)
        winner: Literal["A", "B"] = "A" if draw < p_a else "B"
        magnitude = abs(logit)
        confidence = 5 if magnitude >= 3.5 else 1 + int(magnitude + 0.5)
        favoured = "A" if logit > 0 else "B" if logit < 0 else None
        tone = "agrees with" if winner == favoured else "goes against"
        justification = (
            f"Simulated judgement: P(A wins) = {p_a:.2f}; the draw {tone} the latent "
            "quality difference."
            if favoured
            else f"Simulated judgement: P(A wins) = {p_a:.2f}; an even pair decided by the draw."
        )
        digest = hashlib.sha256(f"{request.a_id}|{request.b_id}|{winner}|{p_a}".encode())
        return JudgeAnswer(
            winner=winner,
            confidence=confidence,
            justification=justification,
            provider=self.provider,
            model=self.model,
            response_sha256=digest.hexdigest(),
        )
