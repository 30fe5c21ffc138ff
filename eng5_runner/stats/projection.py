"""Grade projection: a proportional-odds model of the anchors' grades on their BT scores.

Grades are indexed ``j = 0, 1, …, K − 1`` from best to worst over the scale's contiguous
range between the best and the worst anchor grade (a grade inside that range with no anchor
is still a category).  With θ the BT score and SE its standard error::

    P(J ≤ k | θ) = σ((τ_k + βθ) / s),   s = √(1 + π β² SE² / 8),   τ_0 < τ_1 < … < τ_{K−2}

β > 0 links logits to grade steps; ``s`` integrates the logistic over θ ~ N(θ̂, SE²)
(the probit approximation of a logistic–normal integral), so an essay measured with a
large SE gets spread-out probabilities and an exactly ordered anchor set cannot drive β to
infinity.  The log-spacings of the thresholds are shrunk towards their mean
(``SPACING_PENALTY``), which interpolates grades that have no anchor, and log β has a weak
N(0, ``LOG_SLOPE_SD``²) prior.  Fitted by ``scipy.optimize.minimize`` (BFGS).

Leave-one-anchor-out validation refits without each anchor and projects it from its θ and
SE: exact and within-one agreement (Wilson intervals), quadratic weighted kappa (bootstrap
percentile interval over anchors) and the ranked probability score (t interval).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from eng5_runner.stats.boundary import mean_t_interval, wilson_interval

FloatArray = NDArray[np.float64]

#: SD of the shrinkage of log threshold spacings towards their mean.
SPACING_PENALTY_SD = 1.0
#: SD of the N(0, ·) prior on log β.
LOG_SLOPE_SD = 2.5
#: A student is "uncertain" when no grade has at least this probability.
UNCERTAIN_BELOW = 0.5
_PI_8 = math.pi / 8.0
_FLOOR = 1e-12

__all__ = [
    "GradeProjection",
    "ProjectionValidation",
    "UNCERTAIN_BELOW",
    "fit_grade_projection",
    "leave_one_anchor_out",
    "quadratic_weighted_kappa",
    "ranked_probability_score",
]


def _expit(x: FloatArray) -> FloatArray:
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


@dataclass(frozen=True, eq=False)
class GradeProjection:
    """A fitted projection: categories are scale ranks (0 = the scale's best grade)."""

    categories: tuple[int, ...]
    slope: float
    thresholds: tuple[float, ...]
    converged: bool

    def probabilities(self, theta: ArrayLike, se: ArrayLike | None = None) -> FloatArray:
        """Rows of P(grade = category) for each θ (and SE), summing to 1."""
        t = np.atleast_1d(np.asarray(theta, dtype=np.float64))
        s = np.zeros_like(t) if se is None else np.atleast_1d(np.asarray(se, dtype=np.float64))
        return _category_probs(np.asarray(self.thresholds), self.slope, t, s)

    def expected_rank(self, probs: FloatArray) -> FloatArray:
        """Σ P(category) × scale rank, per row."""
        return np.asarray(probs @ np.asarray(self.categories, dtype=np.float64))


def _category_probs(tau: FloatArray, beta: float, theta: FloatArray, se: FloatArray) -> FloatArray:
    scale = np.sqrt(1.0 + _PI_8 * beta * beta * se * se)
    cum = _expit((tau[None, :] + beta * theta[:, None]) / scale[:, None])
    ones = np.ones((theta.size, 1))
    full = np.hstack([np.zeros((theta.size, 1)), cum, ones])
    return np.maximum(np.diff(full, axis=1), 0.0)


def _unpack(params: FloatArray) -> tuple[float, FloatArray]:
    beta = math.exp(float(params[0]))
    tau = params[1] + np.concatenate([[0.0], np.cumsum(np.exp(params[2:]))])
    return beta, tau


def _start(theta: FloatArray, cat: FloatArray, k: int) -> FloatArray:
    """Start values from a least-squares line of category index on θ."""
    spread = float(np.ptp(theta)) or 1.0
    if np.ptp(cat) > 0 and np.ptp(theta) > 0:
        slope = -float(np.polyfit(theta, cat, 1)[0])
    else:
        slope = (k - 1) / spread
    slope = max(slope, 0.1 / spread)
    beta = 1.7 * slope  # logistic scale ≈ 1.7 × probit-like steps
    intercept = float(np.mean(cat) + slope * np.mean(theta))
    boundaries = (intercept - (np.arange(k - 1) + 0.5)) / slope  # θ where j ↔ j+1
    tau = -beta * boundaries
    gaps = np.maximum(np.diff(tau), 1e-3) if k > 2 else np.zeros(0)
    return np.concatenate([[math.log(beta), tau[0]], np.log(gaps)])


def fit_grade_projection(
    theta: ArrayLike,
    se: ArrayLike,
    ranks: Sequence[int],
    *,
    categories: Sequence[int] | None = None,
) -> GradeProjection:
    """Fit the model to anchors' θ, SE and scale ranks (0 = best).

    ``categories``: the scale ranks to project onto (default: every rank from the best to the
    worst in ``ranks``).  Needs at least two anchors with different grades.
    """
    from scipy.optimize import minimize

    t = np.asarray(theta, dtype=np.float64)
    s = np.asarray(se, dtype=np.float64)
    r = np.asarray(ranks, dtype=np.int64)
    if not (t.size == s.size == r.size):
        raise ValueError("theta, se and ranks differ in length")
    cats = tuple(range(int(r.min()), int(r.max()) + 1)) if categories is None else tuple(categories)
    if len(set(r.tolist())) < 2 or len(cats) < 2:
        raise ValueError("grade projection needs anchors of at least two different grades")
    position = {c: j for j, c in enumerate(cats)}
    try:
        cat = np.array([position[int(x)] for x in r], dtype=np.int64)
    except KeyError as exc:
        raise ValueError(f"anchor rank {exc.args[0]} is not among the categories") from None
    k = len(cats)
    rows = np.arange(t.size)

    def objective(params: FloatArray) -> float:
        beta, tau = _unpack(params)
        probs = _category_probs(tau, beta, t, s)
        nll = -float(np.log(np.maximum(probs[rows, cat], _FLOOR)).sum())
        log_gaps = params[2:]
        spacing = float(((log_gaps - log_gaps.mean()) ** 2).sum()) if log_gaps.size else 0.0
        return nll + 0.5 * spacing / SPACING_PENALTY_SD**2 + 0.5 * (params[0] / LOG_SLOPE_SD) ** 2

    start = _start(t, cat.astype(np.float64), k)
    result = minimize(objective, start, method="BFGS", options={"gtol": 1e-6, "maxiter": 500})
    beta, tau = _unpack(np.asarray(result.x, dtype=np.float64))
    return GradeProjection(
        categories=cats,
        slope=beta,
        thresholds=tuple(float(x) for x in tau),
        converged=bool(result.success) or float(np.abs(result.jac).max()) < 1e-4,
    )


def ranked_probability_score(probs: ArrayLike, observed: int) -> float:
    """RPS of one ordinal forecast: mean squared gap of the cumulative distributions."""
    p = np.asarray(probs, dtype=np.float64)
    if p.size < 2:
        return 0.0
    hit = np.zeros_like(p)
    hit[observed] = 1.0
    gap = np.cumsum(p)[:-1] - np.cumsum(hit)[:-1]
    return float((gap * gap).sum() / (p.size - 1))


def quadratic_weighted_kappa(truth: ArrayLike, predicted: ArrayLike, n_categories: int) -> float:
    """Cohen's κ with quadratic weights over categories 0..n−1; nan when undefined."""
    a = np.asarray(truth, dtype=np.int64)
    b = np.asarray(predicted, dtype=np.int64)
    if a.size == 0 or n_categories < 2:
        return math.nan
    observed = np.zeros((n_categories, n_categories))
    np.add.at(observed, (a, b), 1.0)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / a.size
    idx = np.arange(n_categories)
    weights = (idx[:, None] - idx[None, :]) ** 2 / (n_categories - 1) ** 2
    denom = float((weights * expected).sum())
    if denom <= 0:
        return math.nan
    return 1.0 - float((weights * observed).sum()) / denom


@dataclass(frozen=True)
class ProjectionValidation:
    """Leave-one-anchor-out agreement of projected with expert grades (None: undefined)."""

    n: int
    exact: float | None
    exact_ci95: tuple[float, float] | None
    within_one: float | None
    within_one_ci95: tuple[float, float] | None
    qwk: float | None
    qwk_ci95: tuple[float, float] | None
    rps: float | None
    rps_ci95: tuple[float, float] | None
    predicted: tuple[int | None, ...]
    """Per anchor (input order): the projected scale rank, None when it was not projected."""
    probs_true: tuple[float | None, ...]
    """Per anchor: the held-out probability given to its expert grade."""


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def leave_one_anchor_out(
    theta: ArrayLike,
    se: ArrayLike,
    ranks: Sequence[int],
    *,
    resamples: int = 1000,
    seed: int = 0,
) -> ProjectionValidation:
    """Refit without each anchor, project it, and score the projections."""
    t = np.asarray(theta, dtype=np.float64)
    s = np.asarray(se, dtype=np.float64)
    r = np.asarray(ranks, dtype=np.int64)
    cats = tuple(range(int(r.min()), int(r.max()) + 1)) if r.size else ()
    predicted: list[int | None] = []
    p_true: list[float | None] = []
    scores: list[float] = []
    for i in range(r.size):
        keep = np.arange(r.size) != i
        if len(set(r[keep].tolist())) < 2:
            predicted.append(None)
            p_true.append(None)
            continue
        model = fit_grade_projection(t[keep], s[keep], r[keep].tolist(), categories=cats)
        probs = model.probabilities([t[i]], [s[i]])[0]
        j = cats.index(int(r[i]))
        predicted.append(cats[int(np.argmax(probs))])
        p_true.append(float(probs[j]))
        scores.append(ranked_probability_score(probs, j))
    done = [(int(r[i]), p) for i, p in enumerate(predicted) if p is not None]
    n = len(done)
    if n == 0:
        return ProjectionValidation(0, None, None, None, None, None, None, None, None, (), ())
    exact_k = sum(1 for a, b in done if a == b)
    within_k = sum(1 for a, b in done if abs(a - b) <= 1)
    truth = np.array([cats.index(a) for a, _ in done])
    pred = np.array([cats.index(b) for _, b in done])
    qwk = _finite(quadratic_weighted_kappa(truth, pred, len(cats)))
    qwk_ci = _bootstrap_qwk(truth, pred, len(cats), resamples, seed) if qwk is not None else None
    rps_mean, rps_low, rps_high = mean_t_interval(scores)
    return ProjectionValidation(
        n=n,
        exact=exact_k / n,
        exact_ci95=wilson_interval(exact_k, n),
        within_one=within_k / n,
        within_one_ci95=wilson_interval(within_k, n),
        qwk=qwk,
        qwk_ci95=qwk_ci,
        rps=_finite(rps_mean),
        rps_ci95=(rps_low, rps_high) if math.isfinite(rps_low + rps_high) else None,
        predicted=tuple(predicted),
        probs_true=tuple(p_true),
    )


def _bootstrap_qwk(
    truth: NDArray[np.int64], pred: NDArray[np.int64], k: int, resamples: int, seed: int
) -> tuple[float, float] | None:
    """Percentile 95% interval of κ over anchors resampled with replacement."""
    if resamples < 1 or truth.size < 3:
        return None
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        pick = rng.integers(0, truth.size, truth.size)
        kappa = quadratic_weighted_kappa(truth[pick], pred[pick], k)
        if math.isfinite(kappa):
            values.append(kappa)
    if len(values) < resamples // 2:
        return None
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)
