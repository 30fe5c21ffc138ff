"""One BT fit of a run's judgements, then misfit and split-half reliability."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from eng5_runner.engine.records import JudgementRecord
from eng5_runner.inputs.inventory import Essay
from eng5_runner.reports.context import finite
from eng5_runner.reports.psychometrics.bias import audit_length_bias, audit_position_bias
from eng5_runner.reports.psychometrics.models import (
    SHOWN_MISFITS,
    FitRow,
    Psychometrics,
    RoundRow,
    Unexpected,
)

SPLITS = 20


def _row(name: str, essay_id: str | None, stat: Any) -> FitRow:
    return FitRow(
        name=name,
        essay_id=essay_id,
        n=stat.n,
        infit=finite(stat.infit),
        outfit=finite(stat.outfit),
        infit_z=finite(stat.infit_z),
        outfit_z=finite(stat.outfit_z),
        misfit=stat.misfit,
    )


def _variant(record: JudgementRecord, repeats: bool) -> str:
    name = f"{record.provider}/{record.model}"
    return f"{name} repeat {record.iteration}" if repeats else name


def build_psychometrics(
    records: Sequence[JudgementRecord],
    essays: Sequence[Essay],
    *,
    grade_scale: str,
    ridge: float | None = None,
    rounds: Sequence[Any] | None = None,
    seed: int = 0,
) -> Psychometrics | None:
    """The psychometrics of one run; None with fewer than 3 essays or 4 judgements.

    ``rounds`` (``engine.adaptive.RoundInfo``) marks an adaptive run.
    """
    from eng5_runner import stats

    index = {e.essay_id: i for i, e in enumerate(essays)}
    ok = [
        r
        for r in records
        if r.succeeded and r.winner_id in index and r.loser_id in index and r.winner
    ]
    n = len(essays)
    if n < 3 or len(ok) < 4:
        return None
    w = np.array([index[str(r.winner_id)] for r in ok], dtype=np.int64)
    lo = np.array([index[str(r.loser_id)] for r in ok], dtype=np.int64)
    try:
        fit = stats.fit_bradley_terry(n, w, lo, ridge=ridge)
    except stats.BTNotIdentifiable:  # report.ridge=0 without an MLE: the default rule
        fit = stats.fit_bradley_terry(n, w, lo)
    theta = np.asarray(fit.theta)
    labels = [e.label for e in essays]
    item = stats.item_fit(n, w, lo, theta)
    rows = [_row(labels[i], essays[i].essay_id, s) for i, s in enumerate(item)]
    worst = sorted(
        (i for i, s in enumerate(item) if s.misfit),
        key=lambda i: -max(item[i].infit_z or 0.0, item[i].outfit_z or 0.0),
    )
    unexpected: list[Unexpected] = []
    for i in worst[:SHOWN_MISFITS]:
        for u in stats.unexpected_judgements(i, w, lo, theta, limit=3):
            other = u.loser if u.winner == i else u.winner
            unexpected.append(
                Unexpected(
                    comparison_id=ok[u.index].comparison_id,
                    essay=labels[i],
                    opponent=labels[other],
                    essay_won=u.winner == i,
                    p_observed=round(u.p_observed, 4),
                )
            )
    repeats = any(r.iteration > 0 for r in ok)
    groups = [_variant(r, repeats) for r in ok]
    judges = [_row(str(k), None, s) for k, s in stats.group_fit(groups, w, lo, theta).items()]
    half_ridge = None if ridge == 0 else ridge  # a half rarely has an MLE
    half = stats.split_half_reliability(n, w, lo, splits=SPLITS, seed=seed, ridge=half_ridge)
    ssr = stats.scale_separation_reliability(fit.theta, fit.se)
    return Psychometrics(
        n_essays=n,
        n_judgements=len(ok),
        ssr=finite(ssr),
        split_half_reliability=half.reliability,
        split_half_range=(half.low, half.high),
        split_half_splits=half.splits,
        adaptive=rounds is not None,
        essays=tuple(rows),
        misfitting=tuple(rows[i] for i in worst),
        unexpected=tuple(unexpected),
        judges=tuple(judges),
        length_bias=audit_length_bias(essays, theta, grade_scale),
        position_bias=audit_position_bias(ok, index, labels, theta),
        rounds=tuple(
            RoundRow(
                index=r.index,
                comparisons=r.comparisons,
                total=r.total,
                reliability=r.reliability,
                ssr=r.ssr,
            )
            for r in rounds or ()
        ),
    )
