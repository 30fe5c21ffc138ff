"""Sweeps: 8 variants × 66 comparisons with the simulated judge.

Measures the basic launcher (sequential jobs in one process), the joblib
launcher (2 worker processes on these 2-core machines) and a cached re-run,
and derives the per-job overhead.

    python bench/bench_sweep.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import summarise, table, time_cli  # noqa: E402

VARIANTS = [
    "system_prompt=001_baseline,002_language_first,003_holistic_examiner,004_error_aware",
    "rubric=001_baseline,002_analytic_criteria",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    basic, joblib, cached = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for i in range(args.runs):
            for name, extra, bucket in (
                ("basic", [], basic),
                ("joblib", ["hydra/launcher=joblib"], joblib),
            ):
                store = root / f"{name}{i}.sqlite"
                base = [
                    "-m",
                    "experiment=quickstart",
                    *VARIANTS,
                    f"cache.path={store}",
                    "show_progress=false",
                    *extra,
                ]
                bucket.append(time_cli([*base, f"hydra.sweep.dir={root}/{name}{i}"], cwd=root))
                if name == "basic":
                    cached.append(time_cli([*base, f"hydra.sweep.dir={root}/again{i}"], cwd=root))
    per_job = statistics.median(basic) / 8
    print(
        table(
            ["sweep (8 jobs × 66 comparisons)", "wall time (median, min–max)"],
            [
                ["basic launcher, new store", summarise(basic)],
                ["basic launcher, every judgement cached", summarise(cached)],
                ["joblib launcher (2 processes), new store", summarise(joblib)],
                ["per job (basic, new store)", f"{per_job:.3f} s"],
                ["joblib speed-up", f"{statistics.median(basic) / statistics.median(joblib):.2f}×"],
            ],
        )
    )


if __name__ == "__main__":
    main()
