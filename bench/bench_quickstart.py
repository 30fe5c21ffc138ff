"""``experiment=quickstart`` end to end: first run (new store) and fully cached re-run.

Also the fully cached replay of one anchor-align run from the committed
cassette (``experiment=ci_replay_v1``; target ≤ 1.5 s).

    python bench/bench_quickstart.py [--runs 5]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, summarise, table, time_cli  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    first, cached, replay = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for i in range(args.runs):
            store = root / f"store{i}.sqlite"
            base = ["experiment=quickstart", f"cache.path={store}", "show_progress=false"]
            first.append(time_cli([*base, f"hydra.run.dir={root}/f{i}"], cwd=root))
            cached.append(time_cli([*base, f"hydra.run.dir={root}/c{i}"], cwd=root))
            replay.append(
                time_cli(["experiment=ci_replay_v1", f"hydra.run.dir={root}/r{i}"], cwd=REPO)
            )
    print(
        table(
            ["run", "wall time (median, min–max)"],
            [
                ["quickstart, first run (66 simulated judgements stored)", summarise(first)],
                ["quickstart, re-run (66 served from the store)", summarise(cached)],
                ["ci_replay_v1 from the committed cassette", summarise(replay)],
            ],
        )
    )


if __name__ == "__main__":
    main()
