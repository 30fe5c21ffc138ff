"""Keep the pipe full: requests in flight at concurrency C, and the non-judging overhead.

Against the fake OpenAI server (50 ms per answer, its own process):

1. ``judge_pairs`` on 1,035 comparisons (46 essays, round robin) at C = 16 and 64: the
   judging window (first request sent → last answer), its rate against the ideal
   C / 50 ms, and the mean number of requests in flight (Σ latency / window).
2. ``eng5-runner mode=anchor-align-test`` end to end on the same 46 essays with
   ``judge=openai``: wall time minus the judging window = the non-judging part.

    python bench/bench_pipe.py [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import median_range  # noqa: E402
from bench_scale import make_dataset  # noqa: E402
from bench_throughput import LATENCY_S, fake_openai_settings, inventory, start_server  # noqa: E402
from common import REPO, table, time_cli  # noqa: E402

from eng5_runner.engine.http import build_client  # noqa: E402
from eng5_runner.engine.pairing import round_robin  # noqa: E402
from eng5_runner.engine.records import JudgementRecord  # noqa: E402
from eng5_runner.engine.run_local import judge_pairs  # noqa: E402


def window(records: list[JudgementRecord]) -> tuple[float, float]:
    """(judging window s, mean requests in flight) from the records' own timestamps."""
    starts = [datetime.fromisoformat(r.started_at or "") for r in records]
    ends = [datetime.fromisoformat(r.completed_at or "") for r in records]
    span = (max(ends) - min(starts)).total_seconds()
    busy = sum((e - s).total_seconds() for s, e in zip(starts, ends, strict=True))
    return span, busy / span


async def engine_run(url: str, concurrency: int) -> tuple[float, float, float]:
    """(rate in the window, mean in flight, wall s) of one judge_pairs run."""
    run = fake_openai_settings(url, concurrency)
    inv = inventory(46)
    requests = round_robin([e.essay_id for e in inv.anchors])
    client = build_client(run.judge)
    try:
        start = time.perf_counter()
        records = await judge_pairs(run, inv, requests, progress=False, client=client)
        wall = time.perf_counter() - start
    finally:
        await client.aclose()
    span, in_flight = window(records)
    return len(records) / span, in_flight, wall


def cli_run(url: str, work: Path, index: int) -> tuple[float, float]:
    """(wall s, judging window s) of one end-to-end 46-essay run at concurrency 64."""
    dataset = make_dataset(work, 46)
    run_dir = work / f"cli{index}"
    wall = time_cli(
        [
            "mode=anchor-align-test",
            "dataset=local_dirs",
            f"dataset.root={dataset}",
            "dataset.students_dir=null",
            "judge=openai",
            f"judge.base_url={url}/v1",
            "judge.model=bench",
            "judge.concurrency=64",
            "judge.max_retries=0",
            "judge.requests_per_minute=null",
            "judge.tokens_per_minute=null",
            "cache=off",
            "show_progress=false",
            f"hydra.run.dir={run_dir}",
        ],
        cwd=work,
    )
    lines = (run_dir / "comparisons.jsonl").read_text(encoding="utf-8").splitlines()
    span, _ = window([JudgementRecord.model_validate_json(line) for line in lines])
    return wall, span


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("OPENAI_API_KEY", "bench-not-a-key")
    process, url = start_server()
    rows, cli_rows = [], []
    try:
        asyncio.run(engine_run(url, 16))  # warm-up
        for concurrency in (16, 64):
            runs = [asyncio.run(engine_run(url, concurrency)) for _ in range(args.runs)]
            ideal = concurrency / LATENCY_S
            rate = statistics.median(r[0] for r in runs)
            rows.append(
                [
                    concurrency,
                    f"{rate:.0f}/s",
                    f"{ideal:.0f}/s",
                    f"{100 * rate / ideal:.0f}%",
                    f"{statistics.median(r[1] for r in runs):.1f}",
                    f"{statistics.median(1035 / r[2] for r in runs):.0f}/s",
                ]
            )
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(args.runs):
                cli_rows.append(cli_run(url, Path(tmp), i))
    finally:
        process.terminate()
        process.wait(10)
    print(
        table(
            [
                "concurrency",
                "rate in window",
                "ideal",
                "% of ideal",
                "mean in flight",
                "rate incl. set-up",
            ],
            rows,
        )
    )
    walls = [w for w, _ in cli_rows]
    rest = [w - s for w, s in cli_rows]
    print()
    print(
        table(
            ["46 essays, judge=openai, C=64", "median (min–max)"],
            [
                [
                    "end to end",
                    median_range(walls),
                ],
                [
                    "non-judging part",
                    median_range(rest),
                ],
            ],
        )
    )
    print(json.dumps({"repo": str(REPO)}), file=sys.stderr)


if __name__ == "__main__":
    main()
