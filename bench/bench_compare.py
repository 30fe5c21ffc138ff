"""Simulation benchmark of the interval and the paired verdict (issue 18; METRICS.md).

Usage: ``python bench/bench_compare.py [--quick] [--cost-only]``.  Uses the real simulated judge
(``SimulatedJudge.judge_now``) on 30 anchors of the 9-step scale (grades A…F+, 3–4
anchors each), round robin (435 comparisons), and the runner's own statistics:

1. Null: 40 pairs of runs of the same judge (noise 0.6) that differ only in the judge's
   seed → share of ``indistinguishable`` verdicts (target ≥ 90 %).
2. Power: noise 0.3 (A) against noise 2.0 (B) over 20 seeds, both runs of a seed with
   that seed (as a sweep ``seed=s judge.simulated.noise=0.3,2.0`` makes them) → share of
   ``worse`` verdicts for B (and ``better`` for A against B) (target ≥ 95 %).  With
   independent seeds for the two runs too, for comparison.  Also: the mean and SD of
   Δτ-b over 200 seeds (no bootstrap) and the power an exact-width honest 95 % interval
   would have; the paired bootstrap's SD and bias (median − Δ), and how often the
   runner's (median-centred) and the plain percentile Δ interval cover the mean Δ; the
   same with ``pairing.repeats=2``; and the null's true SD against its bootstrap SD.
3. Coverage of the τ-b interval: the mean τ-b over 150 re-runs (fresh judge seeds, same
   design) is the estimand; share of 40 runs whose interval contains it, and the share of
   fresh re-runs that fall inside a run's interval.  Median-centred (the runner's) and plain
   percentile intervals side by side.
4. Cost: 1000 resamples for the 12-anchor sample's round robin (66 comparisons) and for
   200 essays × 10 comparisons each (1000 comparisons); median of several runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Sequence

import numpy as np

from eng5_runner import stats
from eng5_runner.engine.judges.simulated import SimulatedJudge
from eng5_runner.engine.pairing import round_robin
from eng5_runner.settings.models import JudgeSettings, SimulatedJudgeSettings

N_ANCHORS = 30
PER_GRADE = [4, 3, 3, 3, 3, 3, 3, 4, 4]  # A … F+ on the legacy 9-step scale
RANKS = np.repeat(np.arange(9), PER_GRADE)
IDS = [f"anchor_{i:02d}" for i in range(N_ANCHORS)]
INDEX = {essay: i for i, essay in enumerate(IDS)}
EXPERT = -RANKS.astype(np.float64)
QUALITY = {IDS[i]: -float(RANKS[i]) for i in range(N_ANCHORS)}
SCHEDULE = round_robin(IDS, seed=0)
SCHEDULE_REPEATS = {1: SCHEDULE, 2: round_robin(IDS, seed=0, repeats=2)}
Z95, Z_POWER95 = 1.959964, 1.644854  # two-sided 95 % interval; one-sided 95 % power


def judged(noise: float, seed: int, repeats: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(winners, losers) of one run, in schedule order (so two runs are matched 1:1)."""
    judge = SimulatedJudge(
        JudgeSettings(
            provider="simulated",
            model="simulated-v1",
            simulated=SimulatedJudgeSettings(noise=noise, seed=seed),
        ),
        QUALITY,
    )
    winners, losers = [], []
    for request in SCHEDULE_REPEATS[repeats]:
        a, b = INDEX[request.a_id], INDEX[request.b_id]
        won_a = judge.judge_now(request).winner == "A"
        winners.append(a if won_a else b)
        losers.append(b if won_a else a)
    return np.array(winners), np.array(losers)


def tau_of(winners: np.ndarray, losers: np.ndarray) -> float:
    theta = stats.fit_bradley_terry(N_ANCHORS, winners, losers).theta
    return stats.kendall_tau_b(EXPERT, np.round(theta, 9))


def paired(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray], seed: int) -> str:
    return stats.compare_paired(EXPERT, *a, *b, resamples=1000, seed=seed).verdict


def null_rate(pairs: int) -> tuple[float, dict[str, int]]:
    verdicts = [paired(judged(0.6, 2 * s + 1), judged(0.6, 2 * s + 2), s) for s in range(pairs)]
    counts = {v: verdicts.count(v) for v in sorted(set(verdicts))}
    return verdicts.count("indistinguishable") / pairs, counts


def delta_spread(seeds: int, repeats: int = 1) -> dict[str, float]:
    """Δτ-b(2.0 − 0.3) over many seeds without a bootstrap: its true mean and SD, and the
    power an honest 95 % interval of exactly the right width (Δ ± 1.96 SD) would have."""
    deltas = np.array(
        [
            tau_of(*judged(2.0, 100 + s, repeats)) - tau_of(*judged(0.3, 100 + s, repeats))
            for s in range(seeds)
        ]
    )
    mean, sd = float(deltas.mean()), float(deltas.std(ddof=1))
    return {
        "mean": mean,
        "sd": sd,
        "ideal_power": float(norm_cdf(abs(mean) / sd - Z95)),
        "sd_for_95": abs(mean) / (Z95 + Z_POWER95),
    }


def norm_cdf(x: float) -> float:
    return 0.5 * (1.0 + float(np.tanh(x * 0.7978845608 * (1 + 0.044715 * x * x))))


def boot_delta(
    a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray], seed: int
) -> np.ndarray:
    """The paired bootstrap Δτ-b values exactly as ``compare_paired`` draws them."""
    sample_a, sample_b = (
        stats.ComparisonSample(N_ANCHORS, *a),
        stats.ComparisonSample(N_ANCHORS, *b),
    )
    counts = sample_a.cluster_counts(1000, np.random.default_rng(seed))
    tau_a = stats.rank_agreement_many(sample_a.refit(counts, ridge=None).theta, EXPERT)[0]
    tau_b = stats.rank_agreement_many(sample_b.refit(counts, ridge=None).theta, EXPERT)[0]
    return tau_b - tau_a


def power_rate(
    seeds: int, *, same_seed: bool, truth: float | None = None, repeats: int = 1
) -> dict[str, float]:
    """Verdict rates, McNemar's detection rate and the spread of Δτ-b over the seeds; with
    ``truth`` (the mean Δτ-b of many seeds) also the coverage, width and bootstrap bias of
    the runner's (median-centred) interval against the plain percentile interval."""
    right_b = right_a = mcnemar = 0
    deltas, boot_sd, boot_bias, widths = [], [], [], []
    cover = {"centred": 0, "plain": 0}
    signif = {"centred": 0, "plain": 0}
    for s in range(seeds):
        sharp = judged(0.3, 100 + s, repeats)
        noisy = judged(2.0, (100 if same_seed else 200) + s, repeats)
        forward = stats.compare_paired(EXPERT, *sharp, *noisy, resamples=1000, seed=s)
        right_b += forward.verdict == "worse"
        if repeats == 1:
            right_a += paired(noisy, sharp, s) == "better"
        mcnemar += (
            forward.mcnemar_p < 0.05 and forward.discordant_a_better > forward.discordant_b_better
        )
        estimate = float(forward.delta_tau_b or 0.0)
        deltas.append(estimate)
        if truth is not None:
            boot = boot_delta(sharp, noisy, s)
            boot_sd.append(float(boot.std(ddof=1)))
            boot_bias.append(float(np.median(boot)) - estimate)
            assert forward.delta_tau_b_ci95 is not None
            plain = stats.percentile_interval(boot, bounds=(-2.0, 2.0))
            for kind, (low, high) in (("centred", forward.delta_tau_b_ci95), ("plain", plain)):
                cover[kind] += low <= truth <= high
                signif[kind] += high < 0
            widths.append(forward.delta_tau_b_ci95[1] - forward.delta_tau_b_ci95[0])
    out = {
        "worse": right_b / seeds,
        "better": right_a / seeds,
        "mcnemar": mcnemar / seeds,
        "delta_mean": float(np.mean(deltas)),
        "delta_sd": float(np.std(deltas, ddof=1)),
    }
    if truth is not None:
        out |= {
            "boot_sd": float(np.mean(boot_sd)),
            "boot_bias": float(np.mean(boot_bias)),
            "width": float(np.mean(widths)),
            "cover_centred": cover["centred"] / seeds,
            "cover_plain": cover["plain"] / seeds,
            "worse_plain": signif["plain"] / seeds,
        }
    return out


def null_spread(pairs: int) -> tuple[float, float, float]:
    """(SD of Δτ-b over null seed pairs, mean bootstrap SD, mean bootstrap median − Δ)."""
    deltas, sds, bias = [], [], []
    for s in range(pairs):
        a, b = judged(0.6, 2 * s + 1), judged(0.6, 2 * s + 2)
        estimate = tau_of(*b) - tau_of(*a)
        deltas.append(estimate)
        if s < 20:
            boot = boot_delta(a, b, s)
            sds.append(float(boot.std(ddof=1)))
            bias.append(float(np.median(boot)) - estimate)
    return float(np.std(deltas, ddof=1)), float(np.mean(sds)), float(np.mean(bias))


def coverage(noise: float, runs: int, reruns: int) -> dict[str, float]:
    rerun_taus = np.array([tau_of(*judged(noise, 10_000 + s)) for s in range(reruns)])
    target = float(rerun_taus.mean())
    hits = {"centred": 0, "plain": 0}
    inside = {"centred": 0.0, "plain": 0.0}
    widths = []
    for s in range(runs):
        w, lo = judged(noise, 20_000 + s)
        sample = stats.ComparisonSample(N_ANCHORS, w, lo)
        fits = sample.refit(sample.cluster_counts(1000, np.random.default_rng(s)), ridge=None)
        boot = stats.rank_agreement_many(fits.theta, EXPERT)[0]
        estimate = tau_of(w, lo)
        for kind, centre in (("centred", estimate), ("plain", None)):
            low, high = stats.percentile_interval(boot, centre=centre, bounds=(-1.0, 1.0))
            hits[kind] += low <= target <= high
            inside[kind] += float(np.mean((rerun_taus >= low) & (rerun_taus <= high)))
            if kind == "centred":
                widths.append(high - low)
    return {
        "mean_tau": target,
        "sd_tau": float(rerun_taus.std(ddof=1)),
        "centred": hits["centred"] / runs,
        "plain": hits["plain"] / runs,
        "rerun_inside_centred": inside["centred"] / runs,
        "rerun_inside_plain": inside["plain"] / runs,
        "width": float(np.mean(widths)),
    }


def timed(fn, repeats: int) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    """(wall times, CPU times of this process) of ``repeats`` calls; on a shared, overloaded
    machine the CPU time is the better measure of the work done."""
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu


def cost(repeats: int) -> dict[str, tuple[list[float], list[float]]]:
    rng = np.random.default_rng(0)
    q12 = -np.repeat(np.arange(6), 2).astype(float)
    a, b = np.triu_indices(12, 1)
    won = rng.random(a.size) < 1 / (1 + np.exp(-(q12[a] - q12[b])))
    w12, l12 = np.where(won, a, b), np.where(won, b, a)
    in_a = np.random.default_rng(1).random(a.size) < 0.5  # slot of the winner, random
    q200 = np.sort(rng.normal(size=200))[::-1] * 1.5
    a = np.repeat(np.arange(200), 5)
    b = (a + rng.integers(1, 200, size=a.size)) % 200  # 1000 comparisons: 10 per essay
    won = rng.random(a.size) < 1 / (1 + np.exp(-(q200[a] - q200[b])))
    w200, l200 = np.where(won, a, b), np.where(won, b, a)
    e200 = -np.floor(np.arange(200) / 20)
    stats.bootstrap_agreement(12, w12, l12, q12, resamples=50)  # warm the imports
    stats.bootstrap_agreement(200, w200, l200, e200, resamples=50)
    return {
        "12 anchors, round robin (66 comparisons)": timed(
            lambda: stats.bootstrap_agreement(12, w12, l12, q12, resamples=1000), repeats
        ),
        "12 anchors, round robin, position model (slot effect refitted)": timed(
            lambda: stats.bootstrap_agreement(
                12, w12, l12, q12, resamples=1000, position_model="global", winner_in_slot_a=in_a
            ),
            repeats,
        ),
        "200 essays x 10 comparisons (1000)": timed(
            lambda: stats.bootstrap_agreement(200, w200, l200, e200, resamples=1000), repeats
        ),
        "paired, 30 anchors round robin (435)": timed(
            lambda: stats.compare_paired(
                EXPERT, *judged(0.6, 1), *judged(0.6, 2), resamples=1000, seed=0
            ),
            max(3, repeats // 2),
        ),
    }


def _fmt(times: tuple[Sequence[float], Sequence[float]]) -> str:
    wall, cpu = times
    return (
        f"wall {statistics.median(wall):.3f} s (min {min(wall):.3f}), CPU "
        f"{statistics.median(cpu):.3f} s (min {min(cpu):.3f}), n={len(wall)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs (a smoke test)")
    parser.add_argument("--cost-only", action="store_true", help="only the timings")
    args = parser.parse_args()
    q = args.quick
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    if args.cost_only:
        for name, times in cost(3 if q else 9).items():
            print(f"cost {name}: {_fmt(times)}")
        return
    rate, counts = null_rate(8 if q else 40)
    print(f"null (same judge, different seed): indistinguishable {rate:.1%} {counts}")
    null_sd, null_boot_sd, null_bias = null_spread(40 if q else 200)
    print(
        f"null Δτ-b: SD over seed pairs {null_sd:.4f}; paired bootstrap SD {null_boot_sd:.4f}; "
        f"bootstrap median − Δ {null_bias:+.4f}"
    )
    for repeats in (1, 2):
        spread = delta_spread(40 if q else 200, repeats)
        print(
            f"Δτ-b(2.0 − 0.3), repeats={repeats}, over {40 if q else 200} seeds: mean "
            f"{spread['mean']:+.4f}, SD {spread['sd']:.4f}; an exact-width honest 95 % "
            f"interval would say worse in {spread['ideal_power']:.0%}; 95 % needs SD <= "
            f"{spread['sd_for_95']:.4f}"
        )
        p = power_rate(4 if q else 20, same_seed=True, truth=spread["mean"], repeats=repeats)
        print(
            f"power (noise 0.3 vs 2.0, same seed, repeats={repeats}): B=2.0 worse "
            f"{p['worse']:.1%}"
            + (f"; A=2.0 vs B=0.3 better {p['better']:.1%}" if repeats == 1 else "")
            + f"; McNemar p < 0.05 right way {p['mcnemar']:.1%}; Δτ-b over seeds mean "
            f"{p['delta_mean']:+.3f}, sd {p['delta_sd']:.3f}; bootstrap SD {p['boot_sd']:.4f}, "
            f"bootstrap median − Δ {p['boot_bias']:+.4f}; interval width {p['width']:.3f}; "
            f"covers the mean Δ: centred {p['cover_centred']:.0%}, plain "
            f"{p['cover_plain']:.0%} (plain says worse {p['worse_plain']:.0%})"
        )
    p = power_rate(4 if q else 20, same_seed=False)
    print(
        f"power (noise 0.3 vs 2.0, independent seeds): B=2.0 worse {p['worse']:.1%}; "
        f"A=2.0 vs B=0.3 better {p['better']:.1%}; McNemar right way {p['mcnemar']:.1%}; "
        f"Δτ-b over seeds mean {p['delta_mean']:+.3f}, sd {p['delta_sd']:.3f}"
    )
    for noise in (0.6, 2.0):
        c = coverage(noise, 8 if q else 40, 30 if q else 150)
        print(
            f"coverage noise {noise}: mean τ-b of re-runs {c['mean_tau']:.4f} "
            f"(sd {c['sd_tau']:.4f}); interval contains it: median-centred "
            f"{c['centred']:.0%}, plain percentile "
            f"{c['plain']:.0%}; share of re-runs inside: centred {c['rerun_inside_centred']:.0%}, "
            f"plain {c['rerun_inside_plain']:.0%}; mean width {c['width']:.3f}"
        )
    for name, times in cost(3 if q else 9).items():
        print(f"cost {name}: {_fmt(times)}")


if __name__ == "__main__":
    main()
