"""Overhead of the batch runner: 10,011 comparisons through the fake OpenAI Batch API.

The fake batch server runs in its own process (batches end after 2 status
checks, answers are instant), so the numbers are the runner's own work:
building and encoding the request lines, splitting, the upload, polling,
downloading and parsing the output file, pricing, and writing every
judgement and the ledger to a fresh SQLite store. The same comparisons are
also judged synchronously against the same server (concurrency 64, no
latency) for comparison. Reports wall time and this process's CPU time
(median of ``--runs``).

    python bench/bench_batch.py [--runs 3] [--essays 142]

Prints a markdown table (copy it into docs/performance.md).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eng5_runner.engine.pairing import round_robin  # noqa: E402
from eng5_runner.engine.run_local import judge_pairs  # noqa: E402
from eng5_runner.settings.models import RunnerSettings  # noqa: E402
from tests.engine.engine_support import make_inventory  # noqa: E402


def settings(base_url: str, store: Path, *, batch: bool) -> RunnerSettings:
    return RunnerSettings.model_validate(
        {
            "mode": "anchor-align-test",
            "dataset": {"anchors_dir": str(store.parent)},
            "judge": {
                "provider": "openai",
                "model": "gpt-5.1",
                "base_url": base_url,
                "reasoning_effort": "low",
                "batch": batch,
                "batch_poll_s": 0.05,
                "concurrency": 64,
                "shared_rate_limits": False,
            },
            "system_prompt": {"name": "b", "text": "You are an experienced examiner."},
            "rubric": {"name": "b", "text": "Prefer clear, well organised essays."},
            "cache": {"mode": "read_write", "path": str(store)},
            "show_progress": False,
        }
    )


def one(base_url: str, n_essays: int, *, batch: bool) -> tuple[float, float, int]:
    inventory = make_inventory(n_essays)
    schedule = round_robin([e.essay_id for e in inventory.essays], seed=1)
    with tempfile.TemporaryDirectory() as tmp:
        s = settings(base_url, Path(tmp) / "store.sqlite", batch=batch)
        wall, cpu = time.perf_counter(), time.process_time()
        records = asyncio.run(judge_pairs(s, inventory, schedule, progress=False))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert all(r.succeeded for r in records), "a comparison failed"
    return wall, cpu, len(records)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--essays", type=int, default=142)
    args = parser.parse_args()
    os.environ.setdefault("OPENAI_API_KEY", "sk-bench-0123456789")
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "fakes" / "batch_servers.py"), "--polls", "2"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert server.stdout is not None
        base = server.stdout.readline().strip() + "/v1"
        rows = []
        for batch in (True, False):
            results = [one(base, args.essays, batch=batch) for _ in range(args.runs)]
            n = results[0][2]
            wall = statistics.median(r[0] for r in results)
            cpu = statistics.median(r[1] for r in results)
            rows.append((batch, n, wall, cpu))
        print("| Path | Comparisons | Wall (median) | Runner CPU (median) | CPU per comparison |")
        print("|---|---|---|---|---|")
        for batch, n, wall, cpu in rows:
            name = "batch (submit, poll, collect)" if batch else "synchronous, concurrency 64"
            print(f"| {name} | {n:,} | {wall:.1f} s | {cpu:.1f} s | {1000 * cpu / n:.2f} ms |")
        print(f"\nruns: {args.runs}, machine: {os.cpu_count()} cores")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
