"""Simulation benchmark: slot effect, paired position test, grade projection, soft outcomes.

Usage: ``python bench/bench_position_grades.py [--seeds 20] [--quick]``.  Prints markdown
tables for docs/performance.md ("Position and grades (simulation)").  Every judgement comes
from the runner's own :class:`SimulatedJudge` (logit = (q_A − q_B)·π/√3 / noise + bias, so
the BT slot effect b equals ``position_bias``).  Anchors: 30, graded over the 9-step legacy
scale (latent quality −rank), judged in a round robin in both orders (870 comparisons).

1. b: 95% interval coverage of the true 0.4 (noise 2.0) over the seeds.
2. Ordering: τ-b of the anchors' θ against the expert grades, position model ``global``
   vs ``none``; both orders (balanced) and one order per pair where a random half of the
   essays sits in slot A 80% of the time against the other half (unbalanced slots).
3. Paired position test: share of seeds with p < 0.05 at bias 0 (false positives), 0.4 and
   1.0 (power).
4. Projection: students with known latent grades (quality −rank + U(−0.4, 0.4)), 10
   comparisons each against random anchors (5 per slot), one joint BT fit, projected grade
   vs the true grade (QWK, exact, within one), plus the anchors' own LOO numbers.
5. Reliability diagram of the students' grade probabilities (pooled over seeds).
6. Binary vs soft (confidence) outcomes: τ-b at a fixed budget of 150 anchor comparisons.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from collections.abc import Sequence

import numpy as np

from bench.common import table
from eng5_runner.engine.judges.simulated import SimulatedJudge
from eng5_runner.engine.records import PairRequest
from eng5_runner.reports.position import soft_outcome
from eng5_runner.settings.models import JudgeSettings, SimulatedJudgeSettings
from eng5_runner.stats import fit_bradley_terry, kendall_tau_b
from eng5_runner.stats.position import OrderedJudgement, paired_position_test
from eng5_runner.stats.projection import (
    fit_grade_projection,
    leave_one_anchor_out,
    quadratic_weighted_kappa,
)

N_ANCHORS = 30
GRADES = 9


def judge(noise: float, bias: float, seed: int, qualities: dict[str, float]) -> SimulatedJudge:
    params = SimulatedJudgeSettings(noise=noise, position_bias=bias, seed=seed)
    return SimulatedJudge(
        JudgeSettings(provider="simulated", model="bench", simulated=params), qualities
    )


def anchor_ranks(seed: int) -> list[int]:
    """30 anchors spread over the 9 grades (every grade at least 3 times)."""
    ranks = [r for r in range(GRADES) for _ in range(3)]
    rng = random.Random(seed)
    ranks += [rng.randrange(GRADES) for _ in range(N_ANCHORS - len(ranks))]
    return sorted(ranks)


class Judged:
    """Judgements as arrays: winner, loser, winner in slot A, confidence, (a, b, it)."""

    def __init__(self) -> None:
        self.w: list[int] = []
        self.lo: list[int] = []
        self.in_a: list[bool] = []
        self.conf: list[float] = []
        self.ordered: list[OrderedJudgement] = []

    def add(self, j: SimulatedJudge, ids: Sequence[str], a: int, b: int, it: int) -> None:
        answer = j.judge_now(PairRequest(comparison_id="c", a_id=ids[a], b_id=ids[b], iteration=it))
        a_won = answer.winner == "A"
        self.w.append(a if a_won else b)
        self.lo.append(b if a_won else a)
        self.in_a.append(a_won)
        self.conf.append(answer.confidence)
        self.ordered.append(OrderedJudgement(ids[a], ids[b], it, a_won))

    def fit(self, n: int, model: str = "global", soft: bool = False):  # type: ignore[no-untyped-def]
        return fit_bradley_terry(
            n,
            np.array(self.w),
            np.array(self.lo),
            position_model=model,  # type: ignore[arg-type]
            winner_in_slot_a=np.array(self.in_a),
            outcomes=np.array([soft_outcome(c) for c in self.conf]) if soft else None,
        )


def round_robin(noise: float, bias: float, seed: int, ranks: Sequence[int]) -> Judged:
    ids = [f"a{i}" for i in range(len(ranks))]
    j = judge(noise, bias, seed, {i: -float(r) for i, r in zip(ids, ranks, strict=True)})
    out = Judged()
    for it in range(2):
        for x in range(len(ids)):
            for y in range(x + 1, len(ids)):
                a, b = (x, y) if it == 0 else (y, x)
                out.add(j, ids, a, b, it)
    return out


def one_order_unbalanced(noise: float, bias: float, seed: int, ranks: Sequence[int]) -> Judged:
    """Each pair once; a random half of the essays takes slot A 80% of the time against the
    other half (slot imbalance unrelated to quality, e.g. one batch always shown first)."""
    ids = [f"a{i}" for i in range(len(ranks))]
    j = judge(noise, bias, seed, {i: -float(r) for i, r in zip(ids, ranks, strict=True)})
    rng = random.Random(seed + 99)
    favoured = set(rng.sample(range(len(ids)), len(ids) // 2))
    out = Judged()
    for x in range(len(ids)):
        for y in range(x + 1, len(ids)):
            if (x in favoured) == (y in favoured):
                first = rng.random() < 0.5
            else:
                first = (x in favoured) == (rng.random() < 0.8)
            a, b = (x, y) if first else (y, x)
            out.add(j, ids, a, b, 0)
    return out


def bench_slot_effect(seeds: int) -> str:
    covered, estimates, widths = 0, [], []
    tau_rows = []
    designs = (
        ("both orders", round_robin, 0.4),
        ("one order, half the essays in slot A 80%", one_order_unbalanced, 0.4),
        ("one order, half the essays in slot A 80%", one_order_unbalanced, 1.0),
    )
    for name, design, bias in designs:
        tau_g, tau_n, wins, diffs, rmse_g, rmse_n = [], [], 0, [], [], []
        for seed in range(seeds):
            ranks = anchor_ranks(seed)
            judged = design(2.0, bias, seed, ranks)
            glob = judged.fit(N_ANCHORS, "global")
            none = judged.fit(N_ANCHORS, "none")
            grades_up = [-float(r) for r in ranks]
            truth = np.array(grades_up) * math.pi / math.sqrt(3) / 2.0
            truth -= truth.mean()
            tg = kendall_tau_b(grades_up, glob.theta)
            tn = kendall_tau_b(grades_up, none.theta)
            tau_g.append(tg)
            tau_n.append(tn)
            rmse_g.append(float(np.corrcoef(glob.theta, truth)[0, 1]))
            rmse_n.append(float(np.corrcoef(none.theta, truth)[0, 1]))
            wins += tg >= tn - 1e-12
            diffs.append(tg - tn)
            if design is round_robin:
                low, high = glob.slot_effect_interval() or (math.nan, math.nan)
                covered += low <= bias <= high
                estimates.append(glob.slot_effect or math.nan)
                widths.append(high - low)
        tau_rows.append(
            (
                name,
                f"{bias}",
                f"{statistics.mean(tau_g):.3f}",
                f"{statistics.mean(tau_n):.3f}",
                f"{statistics.mean(diffs):+.4f} ± "
                f"{1.96 * statistics.stdev(diffs) / math.sqrt(seeds):.4f}",
                f"{wins}/{seeds}",
                f"{statistics.mean(rmse_g):.4f} / {statistics.mean(rmse_n):.4f}",
            )
        )
    head = (
        f"Slot effect b (true 0.4, noise 2.0, 30 anchors, both orders, {seeds} seeds): "
        f"95% interval covers 0.4 in **{covered}/{seeds}** seeds; mean b̂ = "
        f"{statistics.mean(estimates):.3f}, median interval width {statistics.median(widths):.3f}."
    )
    return (
        head
        + "\n\n"
        + table(
            (
                "Design",
                "bias",
                "τ-b corrected (global)",
                "τ-b uncorrected (none)",
                "mean Δτ ± 95%",
                "corrected ≥ uncorrected",
                "Pearson r of θ with the true logits: corrected / uncorrected",
            ),
            tau_rows,
        )
    )


def bench_paired_test(seeds: int) -> str:
    rows = []
    for bias in (0.0, 0.4, 1.0):
        hits, discordant = 0, []
        for seed in range(seeds):
            judged = round_robin(2.0, bias, 1000 + seed, anchor_ranks(seed))
            test = paired_position_test(judged.ordered, lambda it: 0)
            discordant.append(test.discordant)
            hits += (test.position_paired_p if test.position_paired_p is not None else 1.0) < 0.05
        rows.append(
            (
                f"{bias:.1f}",
                f"{hits}/{seeds} = {hits / seeds:.0%}",
                f"{statistics.median(discordant):.0f}",
            )
        )
    return table(
        ("position_bias", "seeds with position_paired_p < 0.05", "median discordant pairs"), rows
    )


def bench_projection(seeds: int, noise: float, per_student: int = 10, n_students: int = 40):
    """QWK etc. of projected vs true grades for simulated students; pooled (prob, hit)."""
    qwk, exact, within, loo_qwk, pooled = [], [], [], [], []
    for seed in range(seeds):
        rng = random.Random(5000 + seed)
        ranks = anchor_ranks(seed)
        true = [rng.randrange(GRADES) for _ in range(n_students)]
        ids = [f"a{i}" for i in range(N_ANCHORS)] + [f"s{i}" for i in range(n_students)]
        quality = {f"a{i}": -float(r) for i, r in enumerate(ranks)}
        quality |= {f"s{i}": -t + rng.uniform(-0.4, 0.4) for i, t in enumerate(true)}
        j = judge(noise, 0.4, seed, quality)
        judged = Judged()
        for it in range(2):  # anchors: round robin in both orders
            for x in range(N_ANCHORS):
                for y in range(x + 1, N_ANCHORS):
                    a, b = (x, y) if it == 0 else (y, x)
                    judged.add(j, ids, a, b, it)
        for s in range(n_students):
            opponents = rng.sample(range(N_ANCHORS), per_student)
            for k, anchor in enumerate(opponents):
                a, b = (N_ANCHORS + s, anchor) if k % 2 == 0 else (anchor, N_ANCHORS + s)
                judged.add(j, ids, a, b, 0)
        fit = judged.fit(len(ids))
        theta, se = np.asarray(fit.theta), np.asarray(fit.se)
        model = fit_grade_projection(theta[:N_ANCHORS], se[:N_ANCHORS], ranks)
        probs = model.probabilities(theta[N_ANCHORS:], se[N_ANCHORS:])
        cats = list(model.categories)
        pred = [cats[int(np.argmax(p))] for p in probs]
        qwk.append(quadratic_weighted_kappa(true, pred, GRADES))
        exact.append(np.mean([p == t for p, t in zip(pred, true, strict=True)]))
        within.append(np.mean([abs(p - t) <= 1 for p, t in zip(pred, true, strict=True)]))
        for p_row, t in zip(probs, true, strict=True):
            for c, p in zip(cats, p_row, strict=True):
                pooled.append((float(p), c == t, True))
            pooled.append((float(p_row.max()), cats[int(np.argmax(p_row))] == t, False))
        loo = leave_one_anchor_out(theta[:N_ANCHORS], se[:N_ANCHORS], ranks, resamples=0)
        loo_qwk.append(loo.qwk or math.nan)
    return qwk, exact, within, loo_qwk, pooled


def reliability(pooled: list[tuple[float, bool, bool]], top_only: bool) -> str:
    edges = np.linspace(0, 1, 11)
    rows = []
    pts = [(p, h) for p, h, every in pooled if every != top_only]
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        inside = [(p, h) for p, h in pts if lo <= p < hi or (hi == 1 and p == 1)]
        if not inside:
            continue
        rows.append(
            (
                f"{lo:.1f}–{hi:.1f}",
                len(inside),
                f"{np.mean([p for p, _ in inside]):.3f}",
                f"{np.mean([h for _, h in inside]):.3f}",
            )
        )
    return table(("Predicted", "n", "mean predicted", "observed frequency"), rows)


def bench_soft(seeds: int, budget: int = 150) -> str:
    rows = []
    for noise in (0.6, 2.0):
        tau_bin, tau_soft = [], []
        for seed in range(seeds):
            ranks = anchor_ranks(seed)
            ids = [f"a{i}" for i in range(N_ANCHORS)]
            j = judge(noise, 0.0, seed, {i: -float(r) for i, r in zip(ids, ranks, strict=True)})
            rng = random.Random(777 + seed)
            pairs = [(x, y) for x in range(N_ANCHORS) for y in range(x + 1, N_ANCHORS)]
            judged = Judged()
            for a, b in rng.sample(pairs, budget):
                judged.add(j, ids, *((a, b) if rng.random() < 0.5 else (b, a)), 0)
            grades_up = [-float(r) for r in ranks]
            tau_bin.append(kendall_tau_b(grades_up, judged.fit(N_ANCHORS, "none").theta))
            tau_soft.append(
                kendall_tau_b(grades_up, judged.fit(N_ANCHORS, "none", soft=True).theta)
            )
        diff = np.subtract(tau_soft, tau_bin)
        se = float(np.std(diff, ddof=1) / math.sqrt(seeds))
        rows.append(
            (
                f"{noise}",
                f"{np.median(tau_bin):.3f}",
                f"{np.median(tau_soft):.3f}",
                f"{diff.mean():+.4f} ± {1.96 * se:.4f}",
                f"{int((diff > 0).sum())}/{int((diff < 0).sum())}",
            )
        )
    return table(
        (
            "noise",
            "median τ-b binary",
            "median τ-b soft",
            "mean Δ (soft − binary) ± 95%",
            "soft better / worse seeds",
        ),
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="3 seeds (smoke run)")
    parser.add_argument("--only", choices=("slot", "paired", "projection", "soft"), default=None)
    args = parser.parse_args()
    seeds = 3 if args.quick else args.seeds
    start = time.perf_counter()
    if args.only in (None, "slot"):
        print("### Slot effect and corrected ordering\n")
        print(bench_slot_effect(seeds) + "\n")
    if args.only in (None, "paired"):
        print("### Paired position test (round robin, both orders, 30 anchors, noise 2.0)\n")
        print(bench_paired_test(max(seeds, 100) if not args.quick else seeds) + "\n")
    if args.only in (None, "projection"):
        projection_section(seeds)
    if args.only in (None, "soft"):
        print("### Binary vs soft (confidence) outcomes: τ-b at 150 comparisons of 30 anchors\n")
        print(bench_soft(seeds))
    print(f"\n(total {time.perf_counter() - start:.0f} s, {seeds} seeds)")


def expected_calibration_error(pooled: list[tuple[float, bool, bool]]) -> float:
    """Σ over 10 bins of |mean predicted − observed| weighted by the bin's share."""
    pts = np.array([(p, h) for p, h, every in pooled if every], dtype=float)
    bins = np.clip((pts[:, 0] * 10).astype(int), 0, 9)
    total = 0.0
    for b in range(10):
        inside = pts[bins == b]
        if inside.size:
            total += abs(inside[:, 0].mean() - inside[:, 1].mean()) * len(inside)
    return total / len(pts)


def projection_section(seeds: int) -> None:
    print("### Grade projection (40 students × 10 comparisons, 30 anchors, bias 0.4)\n")
    rows = []
    pooled_by_noise: dict[float, list[tuple[float, bool, bool]]] = {}
    for noise in (0.6, 2.0):
        qwk, exact, within, loo_qwk, pooled = bench_projection(seeds, noise)
        pooled_by_noise[noise] = pooled
        rows.append(
            (
                f"{noise}",
                f"{np.median(qwk):.3f} (min {np.min(qwk):.3f})",
                f"{np.median(exact):.2f}",
                f"{np.median(within):.2f}",
                f"{np.nanmedian(loo_qwk):.3f}",
                f"{expected_calibration_error(pooled):.3f}",
            )
        )
    print(
        table(
            (
                "noise",
                "students' QWK vs truth: median (min)",
                "exact",
                "within one",
                "anchors' LOO QWK",
                "ECE (all grade probabilities)",
            ),
            rows,
        )
    )
    for noise, pooled in pooled_by_noise.items():
        print(f"\n#### Reliability: every (student, grade) probability, noise {noise}\n")
        print(reliability(pooled, top_only=False))
        print(f"\n#### Reliability: the projected grade's probability, noise {noise}\n")
        print(reliability(pooled, top_only=True) + "\n")


if __name__ == "__main__":
    main()
