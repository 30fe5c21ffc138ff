"""Adaptive vs balanced pairing in simulation: comparisons needed for a given accuracy.

Usage: ``python bench/bench_adaptive.py [--sizes 100 500] [--seeds 5] [--sd 2.0]``.

Each essay gets a known ability θ ~ N(0, sd²) (logits); a comparison's outcome is a
Bradley–Terry draw from the true abilities, fixed per (seed, unordered pair), so designs
that share a pair see the same outcome.  The balanced design is the project's circulant
design at 2, 4, 6, … comparisons per essay (nested per seed); the adaptive design is
``engine.adaptive`` (ring, then information-maximising rounds of n/2 pairs).  For each we
fit BT after every step and find, by linear interpolation, the comparisons at which the
Spearman correlation with the true abilities first reaches the target (0.9).  At that
point we also report the split-half reliability (``stats.split_half``), SSR and the true
reliability corr(θ̂, θ)²: SSR above the true value shows its inflation under adaptivity.
Prints a markdown table: medians over seeds (and the per-seed range).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import statistics
from collections.abc import Sequence

import numpy as np

from eng5_runner.engine.adaptive import adaptive_rounds
from eng5_runner.engine.pairing import balanced
from eng5_runner.engine.records import JudgementRecord, PairRequest
from eng5_runner.settings.models import PairingSettings
from eng5_runner.stats import (
    fit_bradley_terry,
    scale_separation_reliability,
    split_half_reliability,
)

TARGET_RHO = 0.9


class _Reached(Exception):
    """The accuracy target is reached: stop the rounds."""


def _draw(seed: int, a: str, b: str) -> float:
    lo, hi = sorted((a, b))
    digest = hashlib.sha256(f"{seed}\0{lo}\0{hi}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _outcome(truth: dict[str, float], seed: int, r: PairRequest) -> JudgementRecord:
    lo, hi = sorted((r.a_id, r.b_id))
    p_lo = 1.0 / (1.0 + np.exp(-(truth[lo] - truth[hi])))
    winner = lo if _draw(seed, r.a_id, r.b_id) < p_lo else hi
    loser = hi if winner == lo else lo
    return JudgementRecord(
        comparison_id=r.comparison_id,
        essay_a_id=r.a_id,
        essay_b_id=r.b_id,
        status="succeeded",
        winner="A" if winner == r.a_id else "B",
        winner_id=winner,
        loser_id=loser,
        provider="oracle",
        model="bt",
    )


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    rx = np.argsort(np.argsort(x))
    ry = np.argsort(np.argsort(y))
    return float(np.corrcoef(rx, ry)[0, 1])


def _state(ids: Sequence[str], truth_arr: np.ndarray, records: Sequence[JudgementRecord]):
    index = {e: i for i, e in enumerate(ids)}
    w = np.array([index[str(r.winner_id)] for r in records], dtype=np.int64)
    lo = np.array([index[str(r.loser_id)] for r in records], dtype=np.int64)
    fit = fit_bradley_terry(len(ids), w, lo)
    theta = np.asarray(fit.theta)
    return w, lo, fit, _spearman(theta, truth_arr)


def _crossing(points: list[tuple[int, float]]) -> float | None:
    """Comparisons at which rho first reaches the target (linear interpolation)."""
    prev = (0, 0.0)
    for m, rho in points:
        if rho >= TARGET_RHO:
            m0, r0 = prev
            return m0 + (TARGET_RHO - r0) / (rho - r0) * (m - m0) if rho > r0 else float(m)
        prev = (m, rho)
    return None


def _reliabilities(ids, truth_arr, records):
    w, lo, fit, rho = _state(ids, truth_arr, records)
    half = split_half_reliability(len(ids), w, lo, splits=10, seed=1)
    ssr = scale_separation_reliability(fit.theta, fit.se)
    true_rel = float(np.corrcoef(np.asarray(fit.theta), truth_arr)[0, 1]) ** 2
    return half.reliability, ssr, true_rel, rho


def run_balanced(ids, truth, truth_arr, seed, max_k):
    points: list[tuple[int, float]] = []
    first_records = None
    for k in range(2, max_k + 1, 2):
        design = balanced(ids, per_essay=k, seed=seed)
        records = [_outcome(truth, seed, r) for r in design]
        _, _, _, rho = _state(ids, truth_arr, records)
        points.append((len(records), rho))
        if rho >= TARGET_RHO and first_records is None:
            first_records = records
            break
    return _crossing(points), first_records


def run_adaptive(ids, truth, truth_arr, seed, max_rounds):
    pairing = PairingSettings(
        design="adaptive",
        seed=seed,
        target_reliability=0.999,
        max_rounds=max_rounds,
        reliability_measure="ssr",
    )
    points: list[tuple[int, float]] = []
    done: list[JudgementRecord] = []
    hit: list[list[JudgementRecord]] = []

    async def judge(batch: list[PairRequest]) -> list[JudgementRecord]:
        out = [_outcome(truth, seed, r) for r in batch]
        done.extend(out)
        _, _, _, rho = _state(ids, truth_arr, done)
        points.append((len(done), rho))
        if rho >= TARGET_RHO:
            hit.append(list(done))
            raise _Reached
        return out

    with contextlib.suppress(_Reached):
        asyncio.run(adaptive_rounds(ids, pairing, judge))
    return _crossing(points), hit[0] if hit else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--sd", type=float, default=2.0, help="SD of the true abilities (logits)")
    args = parser.parse_args()
    print(f"target Spearman ρ = {TARGET_RHO}; abilities N(0, {args.sd}²) logits\n")
    print(
        "| Essays | Design | Comparisons to ρ ≥ 0.9 (median, range) | per essay | "
        "split-half | SSR | true corr² | saving |"
    )
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in args.sizes:
        rows: dict[str, list[tuple[float, float, float, float]]] = {"balanced": [], "adaptive": []}
        for seed in range(args.seeds):
            rng = np.random.default_rng(1000 + seed)
            ids = [f"e{i:04d}" for i in range(n)]
            truth_arr = rng.normal(0, args.sd, n)
            truth = dict(zip(ids, truth_arr.tolist(), strict=True))
            for name, runner in (("balanced", run_balanced), ("adaptive", run_adaptive)):
                limit = 80 if name == "balanced" else 100
                needed, records = runner(ids, truth, truth_arr, seed, limit)
                if needed is None or records is None:
                    continue
                half, ssr, true_rel, _ = _reliabilities(ids, truth_arr, records)
                rows[name].append((needed, half, ssr, true_rel))
        med = {k: statistics.median(r[0] for r in v) for k, v in rows.items() if v}
        for name, values in rows.items():
            if not values:
                print(f"| {n} | {name} | not reached | | | | | |")
                continue
            need = [v[0] for v in values]
            saving = (
                f"{1 - med['adaptive'] / med['balanced']:.0%}"
                if name == "adaptive" and "balanced" in med
                else ""
            )
            print(
                f"| {n} | {name} | {statistics.median(need):.0f} ({min(need):.0f}–{max(need):.0f})"
                f" | {2 * statistics.median(need) / n:.1f} | "
                f"{statistics.median(v[1] for v in values):.3f} | "
                f"{statistics.median(v[2] for v in values):.3f} | "
                f"{statistics.median(v[3] for v in values):.3f} | {saving} |"
            )


if __name__ == "__main__":
    main()
