"""Paired run comparison fits the slot effect when both runs did (``report.position_model``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from eng5_runner import stats
from eng5_runner.inputs.grade_scales import FULL_16_STEP
from eng5_runner.reports.paired_runs import compare_runs

GRADES = FULL_16_STEP[::2][:8]


def _artefact(rng: np.random.Generator, noise: float, position_model: str) -> dict[str, Any]:
    """A round robin over 8 anchors, both slot orders, with a judge that favours slot A."""
    ids = [f"e{i}" for i in range(len(GRADES))]
    truth = -np.arange(len(ids), dtype=float)
    records = []
    for i in range(len(ids)):
        for j in range(len(ids)):
            if i == j:
                continue
            logit = truth[i] - truth[j] + 1.5 + rng.normal(0, noise)
            winner = "A" if rng.random() < 1 / (1 + np.exp(-logit)) else "B"
            records.append(
                {
                    "essay_a_id": ids[i],
                    "essay_b_id": ids[j],
                    "status": "succeeded",
                    "winner": winner,
                    "iteration": 0,
                }
            )
    return {
        "inputs": {
            "anchors": [{"essay_id": e, "grade": g} for e, g in zip(ids, GRADES, strict=True)]
        },
        "comparisons": records,
        "analysis": {"position_fit": {"position_model": position_model}},
    }


def _direct(a: dict[str, Any], b: dict[str, Any], position_model: str) -> stats.PairedComparison:
    ids = [x["essay_id"] for x in a["inputs"]["anchors"]]
    index = {e: i for i, e in enumerate(ids)}
    expert = -np.array([FULL_16_STEP.index(x["grade"]) for x in a["inputs"]["anchors"]], float)
    arrays = []
    for run in (a, b):
        recs = sorted(run["comparisons"], key=lambda r: (r["essay_a_id"], r["essay_b_id"]))
        win = [index[r["essay_a_id"] if r["winner"] == "A" else r["essay_b_id"]] for r in recs]
        lose = [index[r["essay_b_id"] if r["winner"] == "A" else r["essay_a_id"]] for r in recs]
        arrays.append((win, lose, [r["winner"] == "A" for r in recs]))
    (wa, la, sa), (wb, lb, sb) = arrays
    return stats.compare_paired(
        expert,
        wa,
        la,
        wb,
        lb,
        resamples=200,
        seed=3,
        position_model=position_model,
        winner_in_slot_a_a=sa,
        winner_in_slot_a_b=sb,
    )


def test_both_runs_position_aware_means_a_position_aware_paired_fit() -> None:
    rng = np.random.default_rng(7)
    a, b = _artefact(rng, 1.0, "global"), _artefact(rng, 1.0, "global")
    result = compare_runs(b, a, "ref", resamples=200, seed=3)
    aware, plain = _direct(a, b, "global"), _direct(a, b, "none")
    assert result.delta_tau_b_ci95 == aware.delta_tau_b_ci95
    assert aware.delta_tau_b_ci95 != plain.delta_tau_b_ci95


def test_a_run_without_the_slot_effect_means_a_plain_paired_fit() -> None:
    rng = np.random.default_rng(7)
    a, b = _artefact(rng, 1.0, "none"), _artefact(rng, 1.0, "global")
    result = compare_runs(b, a, "ref", resamples=200, seed=3)
    assert result.delta_tau_b_ci95 == _direct(a, b, "none").delta_tau_b_ci95


def test_large_runs_bound_the_bootstrap_and_say_so() -> None:
    from eng5_runner.reports.uncertainty import bootstrap_info, bounded_resamples

    assert bounded_resamples(1000, 66, 2_000_000) == 1000
    assert bounded_resamples(1000, 5_000, 2_000_000) == 400
    assert bounded_resamples(1000, 25_000, 2_000_000) == 200
    assert bounded_resamples(1000, 25_000, 0) == 1000
    rng = np.random.default_rng(2)
    n = 8
    win, lose = [], []
    for i in range(n):
        for j in range(n):
            if i != j:
                better = i < j if rng.random() < 0.8 else i > j
                win.append(i if better else j)
                lose.append(j if better else i)
    expert = [-float(i) for i in range(n)]
    args = (n, np.array(win), np.array(lose), expert)
    _, _, info, warning = bootstrap_info(
        *args, resamples=300, seed=1, ridge=None, max_refit_comparisons=200 * len(win)
    )
    assert info is not None and info.resamples == 200 and info.requested_resamples == 300
    assert warning is not None and "200 resamples, not 300" in warning
    _, _, info, warning = bootstrap_info(*args, resamples=300, seed=1, ridge=None)
    assert info is not None and info.resamples == 300 and info.requested_resamples is None
    assert warning is None
