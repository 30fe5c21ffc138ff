"""Scale separation reliability of a set of estimated scores."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["scale_separation_reliability"]


def scale_separation_reliability(theta: ArrayLike, se: ArrayLike) -> float:
    """SSR = (Var(θ̂) − mean(SE²)) / Var(θ̂), sample variance with ddof = 1.

    The share of the observed score variance that is not measurement error.  It is negative
    when the errors exceed the spread (report it as is).  Fewer than two scores or zero
    variance → 0.0 (undefined; never nan).  Non-finite input or unequal lengths → ValueError.
    """
    t = np.asarray(theta, dtype=np.float64).ravel()
    s = np.asarray(se, dtype=np.float64).ravel()
    if t.shape != s.shape:
        raise ValueError(f"theta and se differ in length ({t.size} vs {s.size})")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(s))):
        raise ValueError("theta and se must be finite")
    if t.size < 2:
        return 0.0
    var = float(np.var(t, ddof=1))
    if var <= 0.0:
        return 0.0
    return (var - float(np.mean(s * s))) / var
