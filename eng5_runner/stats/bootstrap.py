"""Bootstrap intervals for τ-b and Somers' d of a Bradley–Terry scale (METRICS.md).

"Uncertainty and comparing variants": resample the run's successful comparisons with
replacement, refit BT with the run's own settings, recompute; seeded by the run's
``seed``.  The interval is the 95% percentile interval of the resampled values
*re-centred on the estimate* (shifted by estimate − bootstrap median).  The plain
percentile interval is badly biased here: a resample drops about a third of the pairs
and duplicates others, so its refitted scale is noisier than the run's and its τ-b sits
lower; on 30 simulated anchors the plain interval covered the mean τ-b of re-runs in
0–23 % of runs, the re-centred one in 97–100 % (bench/bench_compare.py,
docs/performance.md).  The resampling unit is
the *anchor pair* with all of its comparisons: when every pair is judged once (round
robin, balanced design) that is exactly one comparison; with ``pairing.repeats = k`` a
pair's k repeated judgements travel together, so the interval is not narrowed by
treating a pair's repeats as independent pairs.

Everything is vectorised: the resampled weights form a (resamples × pairs) matrix and
all refits run together (:mod:`eng5_runner.stats._bt_batch`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from eng5_runner.stats._bt_batch import FloatArray, IntArray, ManyFits, PairDesign, fit_many
from eng5_runner.stats.agreement import _tied_pairs, tau_b_ceiling
from eng5_runner.stats.bt import PositionModel, _slot_a_items, _soft_outcomes, as_index_array

__all__ = [
    "BOOTSTRAP_METHOD",
    "AgreementBootstrap",
    "ComparisonSample",
    "bootstrap_agreement",
    "percentile_interval",
    "rank_agreement_many",
]

#: How the intervals are named in reports.
BOOTSTRAP_METHOD = (
    "median-centred percentile bootstrap over anchor pairs (each with all its comparisons)"
)
_TIE_DECIMALS = 9  # as the report: θ equal to 9 decimals count as tied
_TAU_CHUNK_CELLS = 1 << 22
_PAIRWISE_MAX_ITEMS = 300  # above this, the O(n log n) path per resample is faster


@dataclass(frozen=True)
class AgreementBootstrap:
    """Percentile intervals of τ-b and Somers' d over ``resamples`` refits."""

    tau_b_ci95: tuple[float, float]
    somers_d_ci95: tuple[float, float]
    resamples: int
    seed: int
    method: str
    regularised_resamples: int
    """Resamples whose beat graph was not strongly connected (fitted with the ridge)."""
    unconverged_resamples: int
    slot_effect_resamples: int = 0
    """Resamples refitted with a slot effect (``position_model="global"``; the others fell
    back to the plain model as the run's own fit would)."""


class ComparisonSample:
    """A run's comparisons as unique pairs, ready to be re-weighted; refits use the run's model.

    ``winners``/``losers``: 0-based item indices, one per successful comparison.
    ``clusters``: the resampling unit of each comparison (default: its unordered pair).
    ``position_model``/``winner_in_slot_a``/``outcomes``: as ``fit_bradley_terry`` takes
    them, so the full-data fit and every refit are the run's own model: with
    ``position_model="global"`` the pairs are kept *ordered* by slot and each refit also
    estimates the slot effect b; soft ``outcomes`` set the credited share of each win.
    """

    def __init__(
        self,
        n_items: int,
        winners: ArrayLike,
        losers: ArrayLike,
        clusters: ArrayLike | None = None,
        *,
        position_model: PositionModel = "none",
        winner_in_slot_a: ArrayLike | None = None,
        outcomes: ArrayLike | None = None,
    ) -> None:
        w = as_index_array(winners, "winners", n_items)
        lo = as_index_array(losers, "losers", n_items)
        if w.shape != lo.shape:
            raise ValueError(f"winners and losers differ in length ({w.size} vs {lo.size})")
        if np.any(w == lo):
            raise ValueError("an item cannot be compared with itself")
        self.n, self.winners, self.losers = n_items, w, lo
        self.position_model: PositionModel = position_model
        self.winner_in_slot_a = None if winner_in_slot_a is None else np.asarray(winner_in_slot_a)
        self.outcomes = None if outcomes is None else np.asarray(outcomes, dtype=np.float64)
        slot_a = _slot_a_items(position_model, winner_in_slot_a, w, lo)
        y = _soft_outcomes(outcomes, w.size)
        a = np.minimum(w, lo) if slot_a is None else slot_a
        b = np.where(a == w, lo, w)
        scale = np.int64(max(n_items, 1))
        keys, pair_of = np.unique(a * scale + b, return_inverse=True)
        self.design = PairDesign(n_items, keys // scale, keys % scale)
        self.pair_of: IntArray = pair_of.astype(np.int64)
        won = (w == a).astype(np.float64)
        self.a_won: FloatArray = won if y is None else np.where(w == a, y, 1.0 - y)
        if clusters is None:  # the unordered pair, whatever the slot order
            unordered = np.minimum(w, lo) * scale + np.maximum(w, lo)
            self.cluster_of: IntArray = np.unique(unordered, return_inverse=True)[1].astype(
                np.int64
            )
        else:
            c = np.asarray(clusters).ravel()
            if c.shape != w.shape:
                raise ValueError("clusters must have one entry per comparison")
            self.cluster_of = np.unique(c, return_inverse=True)[1].astype(np.int64)
        self.n_clusters = int(self.cluster_of.max()) + 1 if self.cluster_of.size else 0
        self._full: tuple[float | None, ManyFits] | None = None
        self._order = np.argsort(self.pair_of, kind="stable")
        self._starts = np.flatnonzero(np.r_[True, np.diff(self.pair_of[self._order]) != 0])

    @property
    def size(self) -> int:
        return int(self.winners.size)

    @property
    def slot_effect(self) -> bool:
        """The refits estimate a slot effect (``position_model="global"``)."""
        return self.position_model == "global"

    def cluster_counts(self, resamples: int, rng: np.random.Generator) -> FloatArray:
        """(resamples × clusters) multiplicities of a with-replacement draw of clusters."""
        c = self.n_clusters
        draws = rng.integers(0, c, size=(resamples, c))
        flat = (np.arange(resamples)[:, None] * c + draws).ravel()
        return np.bincount(flat, minlength=resamples * c).reshape(resamples, c).astype(float)

    def pair_weights(
        self, counts: FloatArray, a_won: FloatArray | None = None
    ) -> tuple[FloatArray, FloatArray]:
        """(total, a_wins), each (rows × pairs), for cluster multiplicities ``counts``."""
        won = self.a_won if a_won is None else a_won
        per_comparison = counts[:, self.cluster_of][:, self._order]
        total = np.add.reduceat(per_comparison, self._starts, axis=1)
        a_wins = np.add.reduceat(per_comparison * won[self._order], self._starts, axis=1)
        return total, a_wins

    def full(self, *, ridge: float | None) -> ManyFits:
        """The fit of the data as they are (every cluster once), by the rule the refits use."""
        if self._full is None or self._full[0] != ridge:
            full = self.pair_weights(np.ones((1, self.n_clusters)))
            fits = fit_many(self.design, *full, ridge=ridge, slot_effect=self.slot_effect)
            self._full = (ridge, fits)
        return self._full[1]

    def full_fit(self, *, ridge: float | None) -> FloatArray:
        """θ of the data as they are (every cluster once), by the rule the refits use."""
        return self.full(ridge=ridge).theta[0]

    def refit(self, counts: FloatArray, *, ridge: float | None) -> ManyFits:
        """One fit per row of cluster multiplicities, warm-started at the full-data fit."""
        total, a_wins = self.pair_weights(counts)
        full = self.full(ridge=ridge)
        b0 = float(full.slot_effect[0])
        return fit_many(
            self.design,
            total,
            a_wins,
            ridge=ridge,
            start=full.theta[0],
            slot_effect=self.slot_effect,
            start_b=b0 if np.isfinite(b0) else 0.0,
        )


def rank_agreement_many(theta: FloatArray, expert: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """τ-b and Somers' d(θ | expert) for every row of ``theta`` (higher = better in both).

    θ values equal to 9 decimals count as tied (as in the report); undefined → 0.0.
    Up to ``_PAIRWISE_MAX_ITEMS`` items all pairs are compared at once (fast for small n);
    above it each row costs O(n log n) (Knight's algorithm in scipy), so large runs stay linear.
    """
    e = np.asarray(expert, dtype=np.float64).ravel()
    rows, n = theta.shape
    if e.size != n:
        raise ValueError(f"expert has {e.size} values for {n} items")
    untied_x = _untied_pairs(e)
    tau, somers = np.zeros(rows), np.zeros(rows)
    if n < 2 or untied_x == 0:
        return tau, somers
    rounded = np.round(theta, _TIE_DECIMALS)
    if n > _PAIRWISE_MAX_ITEMS:
        return _rank_agreement_sorted(rounded, e, untied_x)
    iu, ju = np.triu_indices(n, 1)
    sx = np.sign(e[iu] - e[ju])
    chunk = max(1, _TAU_CHUNK_CELLS // iu.size)
    for s in range(0, rows, chunk):
        sy = np.sign(rounded[s : s + chunk, iu] - rounded[s : s + chunk, ju])
        c_minus_d = sy @ sx
        untied_y = np.count_nonzero(sy, axis=1).astype(float)
        denom = np.sqrt(untied_x * untied_y)
        tau[s : s + chunk] = np.where(denom > 0, c_minus_d / np.where(denom > 0, denom, 1), 0.0)
        somers[s : s + chunk] = c_minus_d / untied_x
    return tau, somers


def _untied_pairs(values: FloatArray) -> float:
    """Pairs of ``values`` that differ."""
    n = values.size
    return n * (n - 1) / 2 - _tied_pairs(values)


def _rank_agreement_sorted(
    rounded: FloatArray, expert: FloatArray, untied_x: float
) -> tuple[FloatArray, FloatArray]:
    """τ-b and Somers' d row by row in O(n log n): C − D = τ-b·√(untied_x·untied_y).

    scipy's Knight algorithm for every row (``stats.agreement`` counts exactly up to 2,000
    items to spare single calls scipy's import; across many rows scipy is the faster).
    """
    from scipy.stats import kendalltau

    rows = rounded.shape[0]
    tau, somers = np.zeros(rows), np.zeros(rows)
    for r in range(rows):
        untied_y = _untied_pairs(rounded[r])
        if untied_y == 0:
            continue
        tau[r] = float(kendalltau(rounded[r], expert).statistic)
        somers[r] = tau[r] * np.sqrt(untied_x * untied_y) / untied_x
    return tau, somers


def percentile_interval(
    values: ArrayLike,
    confidence: float = 0.95,
    *,
    centre: float | None = None,
    bounds: tuple[float, float] = (-np.inf, np.inf),
) -> tuple[float, float]:
    """The (1 − confidence)/2 and (1 + confidence)/2 quantiles (numpy's linear rule).

    ``centre``: shift both ends by ``centre`` − median, so the interval is the bootstrap
    spread around the estimate; the ends are then clipped to ``bounds``.
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size == 0:
        raise ValueError("percentile_interval needs at least one value")
    lo, hi = np.quantile(v, [(1 - confidence) / 2, (1 + confidence) / 2])
    if centre is not None:
        shift = centre - float(np.median(v))
        lo, hi = lo + shift, hi + shift
    return float(np.clip(lo, *bounds)), float(np.clip(hi, *bounds))


def bootstrap_agreement(
    n_items: int,
    winners: ArrayLike,
    losers: ArrayLike,
    expert: ArrayLike,
    *,
    resamples: int = 1000,
    seed: int = 0,
    ridge: float | None = None,
    clusters: ArrayLike | None = None,
    confidence: float = 0.95,
    position_model: PositionModel = "none",
    winner_in_slot_a: ArrayLike | None = None,
    outcomes: ArrayLike | None = None,
) -> AgreementBootstrap:
    """Bootstrap intervals of τ-b and Somers' d between ``expert`` and the BT scale.

    ``expert[i]``: item i's expert value, higher = better (e.g. −grade rank).  ``ridge``,
    ``position_model``, ``winner_in_slot_a``, ``outcomes``: the run's own fit settings
    (``report.ridge``, ``report.position_model``, soft outcomes), used for the estimate
    and every refit.  Same inputs and seed → the same interval.
    """
    if resamples < 1:
        raise ValueError(f"resamples must be >= 1, got {resamples}")
    sample = ComparisonSample(
        n_items,
        winners,
        losers,
        clusters,
        position_model=position_model,
        winner_in_slot_a=winner_in_slot_a,
        outcomes=outcomes,
    )
    if sample.size == 0:
        raise ValueError("bootstrap_agreement needs at least one comparison")
    rng = np.random.default_rng(seed)
    fits = sample.refit(sample.cluster_counts(resamples, rng), ridge=ridge)
    tau, somers = rank_agreement_many(fits.theta, expert)
    tau_hat, somers_hat = rank_agreement_many(sample.full_fit(ridge=ridge)[None, :], expert)
    unit = (-1.0, 1.0)
    # τ-b of untied scores cannot pass the ceiling set by the ties in ``expert``
    ceiling = max(tau_b_ceiling(expert), abs(float(tau_hat[0])))
    return AgreementBootstrap(
        tau_b_ci95=percentile_interval(
            tau, confidence, centre=float(tau_hat[0]), bounds=(-ceiling, ceiling)
        ),
        somers_d_ci95=percentile_interval(
            somers, confidence, centre=float(somers_hat[0]), bounds=unit
        ),
        resamples=resamples,
        seed=seed,
        method=BOOTSTRAP_METHOD,
        regularised_resamples=int(np.count_nonzero(fits.ridge > 0)),
        unconverged_resamples=int(np.count_nonzero(~fits.converged)),
        slot_effect_resamples=int(np.count_nonzero(np.isfinite(fits.slot_effect))),
    )
