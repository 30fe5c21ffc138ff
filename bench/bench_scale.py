"""Scale: anchor-align-test end to end on large essay sets, plots on and off.

For 12, 200, 1,000, 5,000 and 10,000 graded essays × 10 comparisons each (the
``balanced`` pairing, the simulated judge, a fresh judgement store): wall time,
peak RSS of the runner process and the size of the run directory.

    python bench/bench_scale.py [--sizes 12 200 1000 5000 10000] [--runs 3]
    python bench/bench_scale.py --profile 5000      # cProfile one run, top 40 by cumtime

Another checkout is measured with ``PYTHONPATH=<its root>`` (the child processes inherit
it), e.g. the commit before issue 17 with ``--plots-up-to 200``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import median_range  # noqa: E402
from common import table  # noqa: E402

GRADES = ["F+", "E-", "E+", "D-", "D+", "C-", "C+", "B", "A"]
WORDS = ["the", "essay", "argues", "that", "uniforms", "help", "pupils", "focus", "on", "work"]


def make_dataset(root: Path, n: int) -> Path:
    """``n`` anchors ``anchor_00001_<GRADE>.txt`` with distinct texts, grades spread evenly."""
    anchors = root / f"ds{n}" / "anchors"
    if anchors.is_dir():
        return anchors.parent
    anchors.mkdir(parents=True)
    for i in range(n):
        grade = GRADES[i * len(GRADES) // n]
        text = f"Essay {i}. " + " ".join(WORDS[(i + k) % len(WORDS)] for k in range(40))
        (anchors / f"anchor_{i:05d}_{grade}.txt").write_text(text + "\n", encoding="utf-8")
    return anchors.parent


def _args(dataset: Path, run_dir: Path, store: Path, plots: bool) -> list[str]:
    return [
        "mode=anchor-align-test",
        "dataset=local_dirs",
        f"dataset.root={dataset}",
        "dataset.students_dir=null",
        "pairing=balanced",
        "pairing.comparisons_per_essay=10",
        f"cache.path={store}",
        "show_progress=false",
        f"report.plots={'true' if plots else 'false'}",
        f"hydra.run.dir={run_dir}",
    ]


def run_once(dataset: Path, work: Path, plots: bool, tag: str) -> tuple[float, float, float, float]:
    """(wall s, peak RSS MiB, run dir MB, CPU s) of one run in a child process."""
    run_dir = work / f"run_{tag}"
    store = work / f"store_{tag}" / "judgements.sqlite"  # own dir: no plot cache shared
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(
            [sys.executable, "-m", "eng5_runner", *_args(dataset, run_dir, store, plots)],
            cwd=work,
            stdout=subprocess.DEVNULL,
            stderr=err,
            env={**os.environ, "COLUMNS": "120"},
        )
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"run {tag} failed ({child.returncode}):\n{err.read()[-3000:]}")
    rss_mib = usage.ru_maxrss / 1024  # KiB on Linux
    size = sum(p.stat().st_size for p in run_dir.rglob("*") if p.is_file()) / 1e6
    return wall, rss_mib, size, usage.ru_utime + usage.ru_stime


def profile(n: int, plots: bool) -> None:
    """cProfile one in-process run; prints the 25 most expensive calls by cumulative time."""
    import cProfile
    import pstats

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        dataset = make_dataset(work, n)
        sys.argv = ["eng5-runner", *_args(dataset, work / "run", work / "s.sqlite", plots)]
        from eng5_runner.cli import main

        prof = cProfile.Profile()
        prof.enable()
        with contextlib.suppress(SystemExit):
            main()
        prof.disable()
        prof.dump_stats(str(Path(tempfile.gettempdir()) / f"bench_scale_{n}.prof"))
        pstats.Stats(prof).sort_stats("cumulative").print_stats(40)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[12, 200, 1000, 5000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", type=int, default=None, help="profile one run of N essays")
    parser.add_argument("--no-plots", action="store_true", help="with --profile")
    parser.add_argument(
        "--plots-up-to",
        type=int,
        default=None,
        help="draw plots only up to this many essays (older runners crash above ~500)",
    )
    args = parser.parse_args()
    if args.profile:
        profile(args.profile, not args.no_plots)
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for n in sorted(args.sizes):
            dataset = make_dataset(work, n)
            for plots in (False, True):
                if plots and args.plots_up_to is not None and n > args.plots_up_to:
                    continue
                runs = [
                    run_once(dataset, work, plots, f"{n}_{plots}_{i}") for i in range(args.runs)
                ]
                walls = [r[0] for r in runs]
                rows.append(
                    [
                        f"{n:,}",
                        f"{n * 5:,}",
                        "on" if plots else "off",
                        median_range(walls),
                        f"{max(r[1] for r in runs):.0f} MiB",
                        f"{statistics.median(r[2] for r in runs):.2f} MB",
                        f"{statistics.median(r[3] for r in runs):.2f} s",
                    ]
                )
                print(" | ".join(rows[-1]), file=sys.stderr, flush=True)
    print(
        table(
            [
                "essays",
                "comparisons",
                "plots",
                "wall (median, min–max)",
                "peak RSS",
                "run dir",
                "CPU (user+sys)",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
