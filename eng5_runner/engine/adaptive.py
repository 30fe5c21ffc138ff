"""``pairing=adaptive``: judge in rounds, each round's pairs chosen under the current fit.

Round 0 is a seeded ring (every essay in two comparisons; connected).  Every later
round refits Bradley–Terry to all successful judgements and builds a matching: essays in
order of decreasing standard error each take the still-free partner with the largest
expected information p(1 − p)·(SE_i² + SE_j²) (p = σ(θ_i − θ_j)).  So each essay is in at
most one comparison per round (balanced exposure), high-SE essays choose first, no
unordered pair is repeated unless ``pairing.allow_repeat_pairs``, the slot goes to the
essay with fewer slot-A turns so far (a partner leaning the same way is
discounted by ``SLOT_CONFLICT_FACTOR``, and avoided when it would push one
of them to a lean of 3), and new edges only join an already connected graph.

It stops when the reliability (``pairing.reliability_measure``: split-half by default,
see ``stats.split_half``) reaches ``pairing.target_reliability``, when
``pairing.max_comparisons`` is used up (the last round is cut to fit, keeping the pairs
the highest-SE essays chose), after ``pairing.max_rounds`` rounds, or when no new pair
is left.  Pair choice is a deterministic function of the judgements so far and the seed,
and each round goes through :func:`~eng5_runner.engine.run_local.judge_pairs` (store +
scheduler), so a resumed run rebuilds the same rounds from the store and pays only for
comparisons never recorded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from eng5_runner.engine.pairing import balanced
from eng5_runner.engine.records import JudgementRecord, PairRequest
from eng5_runner.settings.models import PairingSettings, RunnerSettings

if TYPE_CHECKING:
    from eng5_runner.engine.http import SdkHttpClient
    from eng5_runner.inputs.inventory import RunnerInventory

__all__ = [
    "AdaptiveResult",
    "RoundInfo",
    "adaptive_rounds",
    "initial_round",
    "judge_adaptive",
    "next_round",
    "reliability_of",
]


#: Expected information is scaled by this for a partner leaning to the same slot side (so
#: slot order stays balanced within ±2 at a small cost in information).
SLOT_CONFLICT_FACTOR = 0.8


@dataclass(frozen=True)
class RoundInfo:
    """One judged round: its size and the reliability after it."""

    index: int
    comparisons: int
    total: int
    reliability: float
    ssr: float


@dataclass
class AdaptiveResult:
    """Every request made (in order), their records, the rounds and why it stopped."""

    requests: list[PairRequest] = field(default_factory=list)
    records: list[JudgementRecord] = field(default_factory=list)
    rounds: list[RoundInfo] = field(default_factory=list)
    stop_reason: str = ""


def initial_round(ids: Sequence[str], pairing: PairingSettings) -> list[PairRequest]:
    """Round 0: a seeded ring, each essay in two comparisons (one per slot)."""
    return balanced(ids, per_essay=2, seed=pairing.seed)


def _outcomes(
    index: dict[str, int], records: Sequence[JudgementRecord]
) -> tuple[np.ndarray, np.ndarray]:
    ok = [r for r in records if r.succeeded and r.winner_id and r.loser_id]
    winners = np.array([index[r.winner_id] for r in ok if r.winner_id], dtype=np.int64)
    losers = np.array([index[r.loser_id] for r in ok if r.loser_id], dtype=np.int64)
    return winners, losers


def reliability_of(
    n: int, winners: np.ndarray, losers: np.ndarray, pairing: PairingSettings
) -> tuple[float, float]:
    """(the stopping reliability, SSR) of the judgements so far."""
    from eng5_runner.stats import (
        fit_bradley_terry,
        scale_separation_reliability,
        split_half_reliability,
    )

    fit = fit_bradley_terry(n, winners, losers)
    ssr = scale_separation_reliability(fit.theta, fit.se)
    if pairing.reliability_measure == "ssr":
        return ssr, ssr
    half = split_half_reliability(n, winners, losers, splits=pairing.reliability_splits, seed=0)
    return half.reliability, ssr


def next_round(
    ids: Sequence[str],
    requests: Sequence[PairRequest],
    records: Sequence[JudgementRecord],
    pairing: PairingSettings,
    *,
    round_index: int,
    limit: int | None = None,
) -> list[PairRequest]:
    """The next round's pairs (module docstring); numbered after ``requests``."""
    from eng5_runner.stats import fit_bradley_terry

    n = len(ids)
    index = {essay_id: i for i, essay_id in enumerate(ids)}
    winners, losers = _outcomes(index, records)
    fit = fit_bradley_terry(n, winners, losers)
    theta, se = np.asarray(fit.theta), np.asarray(fit.se)
    rng = np.random.default_rng([pairing.seed, round_index])
    jitter = rng.uniform(0.0, 1e-9, size=(n, n))
    used = np.zeros((n, n), dtype=bool)
    slot_a = np.zeros(n, dtype=np.int64)
    slot_b = np.zeros(n, dtype=np.int64)
    ordered_counts: Counter[tuple[str, str]] = Counter()
    for req in requests:
        i, j = index[req.a_id], index[req.b_id]
        used[i, j] = used[j, i] = True
        slot_a[i] += 1
        slot_b[j] += 1
        ordered_counts[(req.a_id, req.b_id)] += 1
    gain = pair_gain(theta, se, round_index) + jitter
    np.fill_diagonal(gain, -np.inf)
    if not pairing.allow_repeat_pairs:
        gain[used] = -np.inf
    order = choice_order(gain, se, rng)
    free = np.ones(n, dtype=bool)
    chosen: list[tuple[int, int]] = []
    for i in order:
        if not free[i]:
            continue
        free[i] = False
        lean = slot_a - slot_b  # both leaning the same way: one of them gets worse
        same_side = np.sign(lean) * np.sign(lean[i]) > 0
        row = np.where(free, gain[i] * np.where(same_side, SLOT_CONFLICT_FACTOR, 1.0), -np.inf)
        worse = same_side & (np.minimum(np.abs(lean), abs(lean[i])) >= 2)  # would reach ±3
        if np.isfinite(np.where(worse, -np.inf, row)).any():
            row = np.where(worse, -np.inf, row)
        j = int(np.argmax(row))
        if not np.isfinite(row[j]):
            free[i] = True
            continue
        free[j] = False
        chosen.append((int(i), j))
        if limit is not None and len(chosen) >= limit:
            break
    out: list[PairRequest] = []
    start = len(requests)
    for k, (i, j) in enumerate(chosen):
        lean_i, lean_j = slot_a[i] - slot_b[i], slot_a[j] - slot_b[j]
        i_first = lean_i < lean_j or (lean_i == lean_j and rng.random() < 0.5)
        a, b = (i, j) if i_first else (j, i)
        slot_a[a] += 1
        slot_b[b] += 1
        a_id, b_id = ids[a], ids[b]
        iteration = ordered_counts[(a_id, b_id)]
        ordered_counts[(a_id, b_id)] += 1
        out.append(
            PairRequest(
                comparison_id=f"c{start + k:05d}", a_id=a_id, b_id=b_id, iteration=iteration
            )
        )
    return out


def pair_gain(theta: np.ndarray, se: np.ndarray, round_index: int) -> np.ndarray:
    """(n × n) value of judging each pair next under the current fit (module docstring)."""
    diff = theta[:, None] - theta[None, :]
    prob = 1.0 / (1.0 + np.exp(-np.clip(diff, -50, 50)))
    return np.asarray(prob * (1.0 - prob) * (se[:, None] ** 2 + se[None, :] ** 2))


def choice_order(gain: np.ndarray, se: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The order in which essays pick their partner: decreasing SE (ties at random)."""
    return np.lexsort((rng.permutation(se.size), -se))


RoundJudge = Callable[[list[PairRequest]], Awaitable[list[JudgementRecord]]]


async def adaptive_rounds(
    ids: Sequence[str],
    pairing: PairingSettings,
    judge: RoundJudge,
    *,
    first: Sequence[PairRequest] | None = None,
) -> AdaptiveResult:
    """Run the rounds; ``judge`` returns one record per request of a round."""
    result = AdaptiveResult()
    n = len(ids)
    index = {essay_id: i for i, essay_id in enumerate(ids)}
    batch = list(first) if first is not None else initial_round(ids, pairing)
    budget = pairing.max_comparisons
    if budget is not None:
        batch = batch[:budget]
    round_index = 0
    while True:
        result.requests += batch
        result.records += await judge(batch)
        winners, losers = _outcomes(index, result.records)
        rel, ssr = reliability_of(n, winners, losers, pairing)
        total = len(result.requests)
        result.rounds.append(RoundInfo(round_index, len(batch), total, rel, ssr))
        if rel >= pairing.target_reliability:
            result.stop_reason = "target_reliability"
            break
        if budget is not None and total >= budget:
            result.stop_reason = "max_comparisons"
            break
        if round_index + 1 >= pairing.max_rounds:
            result.stop_reason = "max_rounds"
            break
        round_index += 1
        limit = None if budget is None else budget - total
        batch = next_round(
            ids, result.requests, result.records, pairing, round_index=round_index, limit=limit
        )
        if not batch:
            result.stop_reason = "no_new_pairs"
            break
    return result


async def judge_adaptive(
    settings: RunnerSettings,
    inventory: RunnerInventory,
    first: Sequence[PairRequest],
    *,
    progress: bool = True,
    client: SdkHttpClient | None = None,
) -> AdaptiveResult:
    """Adaptive rounds over the essays of ``first`` (round 0), judged through the store."""
    from eng5_runner.engine.run_local import judge_pairs

    ids = list(dict.fromkeys(essay_id for r in first for essay_id in (r.a_id, r.b_id)))

    async def judge(batch: list[PairRequest]) -> list[JudgementRecord]:
        return await judge_pairs(settings, inventory, batch, progress=progress, client=client)

    return await adaptive_rounds(ids, settings.pairing, judge, first=first)
