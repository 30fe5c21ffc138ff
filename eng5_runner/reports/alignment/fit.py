"""The Bradley–Terry fit of the anchors' judgements, summarised for the report."""

from __future__ import annotations

from typing import Literal

import numpy as np

from eng5_runner import stats
from eng5_runner.reports.alignment.models import BTSummary
from eng5_runner.reports.context import finite
from eng5_runner.reports.position import BTInputs


def fit_anchor_scale(
    n: int,
    inputs: BTInputs,
    ridge: float | None,
    labels: list[str],
    position_model: Literal["none", "global"] = "none",
) -> tuple[list[float] | None, list[float] | None, BTSummary, stats.BTFit | None]:
    """θ, SE, the fit's summary and the fit itself; Nones (with a note) when it cannot be fitted."""
    if n < 2 or len(inputs.winners) == 0:
        return (
            None,
            None,
            BTSummary(
                fitted=False,
                note="no successful comparisons between "
                "anchors: the Bradley–Terry scale was not fitted",
            ),
            None,
        )
    try:
        fit = inputs.fit(n, ridge=ridge, position_model=position_model)
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
        return None, None, BTSummary(fitted=False, note=f"Bradley–Terry fit failed: {exc}"), None
    bt = BTSummary(
        fitted=True,
        regularised=bool(fit.regularised),
        ridge=finite(fit.ridge),
        n_components=int(fit.n_components),
        loglik=finite(fit.loglik),
        zero_win=tuple(labels[i] for i in fit.zero_win_items),
        zero_loss=tuple(labels[i] for i in fit.zero_loss_items),
        isolated=tuple(labels[i] for i in getattr(fit, "isolated_items", ())),
        converged=bool(fit.converged),
        note=None
        if fit.converged
        else f"the Bradley–Terry fit did not converge after {fit.iterations} Newton "
        "iterations: scores, SEs and τ-b are from the last iterate and may be off",
    )
    return [float(t) for t in fit.theta], [float(x) for x in fit.se], bt, fit
