"""Start-up: median wall time of ``eng5-runner mode=plan`` on the bundled sample.

Target ≤ 1.0 s on the 2-core machines: heavy libraries (scipy, matplotlib,
aiokafka, httpx) are imported only by the modes that use them.

    python bench/bench_startup.py [--runs 9]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import summarise, table, time_cli  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        time_cli(["mode=plan", f"hydra.run.dir={cwd}/warm"], cwd=cwd)  # warm the page cache
        plan = [
            time_cli(["mode=plan", f"hydra.run.dir={cwd}/p{i}"], cwd=cwd) for i in range(args.runs)
        ]
        bare = []
        for _ in range(args.runs):
            start = time.perf_counter()
            import subprocess

            subprocess.run([sys.executable, "-c", "pass"], check=True)
            bare.append(time.perf_counter() - start)
    print(
        table(
            ["what", "wall time (median, min–max)"],
            [
                ["`eng5-runner mode=plan` (sample)", summarise(plan)],
                ["`python -c pass` (interpreter floor)", summarise(bare)],
                [
                    "plan minus interpreter",
                    f"{statistics.median(plan) - statistics.median(bare):.3f} s",
                ],
            ],
        )
    )


if __name__ == "__main__":
    main()
