"""Client-side cost of a judge call: wall rate and CPU time per comparison.

Runs ``judge_pairs`` (OpenAI judge, aiohttp transport, store off) at
concurrency 64 against the 50 ms fake server in its own process, and reports
comparisons/s and the client's CPU milliseconds per comparison
(``time.process_time``). CPU per call depends far less on how busy the
machine is than the wall rate, so running this script from two source trees
(``PYTHONPATH=<tree> python bench/bench_sdk_overhead.py``), interleaved,
compares the SDK clients with the hand-written ones they replaced.

    python bench/bench_sdk_overhead.py [--runs 5] [--n 1000] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(1, str(HERE))

from bench_throughput import LATENCY_S, fake_openai_settings, inventory, start_server  # noqa: E402

from eng5_runner.engine.http import build_client  # noqa: E402
from eng5_runner.engine.pairing import round_robin  # noqa: E402
from eng5_runner.engine.run_local import judge_pairs  # noqa: E402


async def one_run(url: str, concurrency: int, n: int) -> tuple[float, float, int]:
    run = fake_openai_settings(url, concurrency)
    inv = inventory(46)
    requests = round_robin([e.essay_id for e in inv.anchors])[:n]
    client = build_client(run.judge)
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        records = await judge_pairs(run, inv, requests, progress=False, client=client)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        await client.aclose()
    return len(records) / wall, 1000 * cpu / len(records), sum(not r.succeeded for r in records)


def main() -> None:
    parser = argparse.ArgumentParser(description="client-side cost per judge call")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    os.environ.setdefault("OPENAI_API_KEY", "bench-not-a-key")
    process, url = start_server()
    try:
        asyncio.run(one_run(url, args.concurrency, 50))  # warm-up
        results = [asyncio.run(one_run(url, args.concurrency, args.n)) for _ in range(args.runs)]
    finally:
        process.terminate()
        process.wait(10)
    rates = [r[0] for r in results]
    cpus = [r[1] for r in results]
    print(
        f"c={args.concurrency} n={args.n} latency={LATENCY_S * 1000:.0f} ms: "
        f"median {statistics.median(rates):.0f} comparisons/s ({min(rates):.0f}-{max(rates):.0f}), "
        f"client CPU {statistics.median(cpus):.2f} ms/comparison "
        f"({min(cpus):.2f}-{max(cpus):.2f}), failed {sum(r[2] for r in results)}"
    )


if __name__ == "__main__":
    main()
