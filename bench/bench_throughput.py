"""Throughput of the local engine against a fake OpenAI server (50 ms per answer).

1,000 comparisons at concurrency 4, 16 and 64 through the full path
(``judge_pairs``: prompts, scheduler, OpenAI judge through the official SDK,
parsing; store off), with httpx2's own transport and with the SDK's aiohttp
transport (``DefaultAioHttpClient``). ``bench_sdk_overhead.py`` gives the
client CPU per comparison, which is what to compare on a busy machine.
The server runs in a separate process so this event loop measures only the
client. Ideal rate = concurrency / 0.05 s. Also times the simulated judge on
66 comparisons (12 anchors, round robin) with a fresh SQLite store.

    python bench/bench_throughput.py [--runs 5] [--n 1000] [--concurrency 64] [--transports aiohttp]

The table also gives the client's CPU ms per comparison (``time.process_time``),
the comparable number when other jobs share the machine.

Prints markdown tables (copy them into docs/performance.md).
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

from eng5_runner.engine.http import TransportKind, build_client  # noqa: E402
from eng5_runner.engine.pairing import round_robin  # noqa: E402
from eng5_runner.engine.run_local import judge_pairs  # noqa: E402
from eng5_runner.inputs.inventory import Essay, FileRecord, RunnerInventory, essay_id_for  # noqa: E402
from eng5_runner.settings.models import RunnerSettings  # noqa: E402

LATENCY_S = 0.05
GRADES = ("A", "B", "C+", "C-", "D+", "D-", "E+", "E-", "F+")


def inventory(n: int) -> RunnerInventory:
    essays = []
    for i in range(n):
        text = f"Essay {i}. " + "A sentence about a role model and why they matter. " * 40
        essays.append(
            Essay(
                essay_id=essay_id_for("anchor", text),
                label=f"e{i}",
                stem=f"e{i}",
                role="anchor",
                grade=GRADES[i % len(GRADES)],
                text=text,
                source=FileRecord(path=Path(f"e{i}.txt"), exists=False),
            )
        )
    return RunnerInventory(
        anchors=tuple(essays),
        students=(),
        anchors_dir=Path("."),
        students_dir=None,
        grades_file=None,
        assignment=None,
        assignment_text="Write about a role model.",
        grade_scale="eng5_np_legacy_9_step",
        grade_source="file_name",
    )


def settings(judge: dict[str, object], cache: dict[str, object]) -> RunnerSettings:
    return RunnerSettings.model_validate(
        {
            "mode": "anchor-align-test",
            "dataset": {"anchors_dir": "."},
            "judge": judge,
            "system_prompt": {"name": "b", "text": "You are an experienced examiner."},
            "rubric": {"name": "b", "text": "Prefer clear, well organised essays."},
            "cache": cache,
            "show_progress": False,
        }
    )


def fake_openai_settings(url: str, concurrency: int) -> RunnerSettings:
    """Judge the fake OpenAI server at ``url``: no retries, no cache."""
    return settings(
        {
            "provider": "openai",
            "model": "bench",
            "base_url": f"{url}/v1",
            "concurrency": concurrency,
            "max_retries": 0,
            "timeout_s": 60,
        },
        {"mode": "off"},
    )


async def http_run(
    url: str, kind: TransportKind, concurrency: int, n: int
) -> tuple[float, float, int]:
    """(comparisons/s, client CPU ms per comparison, failed) of one run."""
    run = fake_openai_settings(url, concurrency)
    inv = inventory(46)
    requests = round_robin([e.essay_id for e in inv.anchors])[:n]
    client = build_client(run.judge, kind=kind)
    try:
        start, cpu = time.perf_counter(), time.process_time()
        records = await judge_pairs(run, inv, requests, progress=False, client=client)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        await client.aclose()
    return len(records) / elapsed, 1000 * cpu / len(records), sum(not r.succeeded for r in records)


async def simulated_run(store_dir: Path, index: int) -> tuple[float, float]:
    inv = inventory(12)
    requests = round_robin([e.essay_id for e in inv.anchors])
    run = settings(
        {"provider": "simulated", "model": "simulated-v1", "concurrency": 64},
        {"mode": "read_write", "path": str(store_dir / f"s{index}.sqlite")},
    )
    start = time.perf_counter()
    await judge_pairs(run, inv, requests, progress=False)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    records = await judge_pairs(run, inv, requests, progress=False)
    warm = time.perf_counter() - start
    assert len(records) == 66 and all(r.cached for r in records)
    return cold, warm


def start_server() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.llm_servers", "--latency", str(LATENCY_S)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    if not url.startswith("http"):
        process.kill()
        raise SystemExit("the fake server did not start")
    return process, url


def main() -> None:
    parser = argparse.ArgumentParser(description="local engine throughput benchmark")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4, 16, 64])
    parser.add_argument("--transports", nargs="+", default=["httpx", "aiohttp"])
    args = parser.parse_args()
    os.environ.setdefault("OPENAI_API_KEY", "bench-not-a-key")
    process, url = start_server()
    rows = []
    try:
        for concurrency in args.concurrency:
            for kind in args.transports:
                asyncio.run(http_run(url, kind, concurrency, 50))  # warm-up
                rates, cpus, failures = [], [], 0
                for _ in range(args.runs):
                    rate, cpu, failed = asyncio.run(http_run(url, kind, concurrency, args.n))
                    rates.append(rate)
                    cpus.append(cpu)
                    failures += failed
                rows.append(
                    (
                        concurrency,
                        kind,
                        statistics.median(rates),
                        min(rates),
                        max(rates),
                        statistics.median(cpus),
                        failures,
                    )
                )
                print(f"  c={concurrency} {kind}: {[round(r) for r in rates]}", file=sys.stderr)
    finally:
        process.terminate()
        process.wait(10)
    print(
        f"{args.n} comparisons, fake OpenAI server with {LATENCY_S * 1000:.0f} ms latency "
        f"in its own process; median of {args.runs} runs (min-max)\n"
    )
    print(
        "| concurrency | transport | comparisons/s | range | ideal | % of ideal "
        "| client CPU ms/comparison | failed |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for concurrency, kind, median, low, high, cpu, failures in rows:
        ideal = concurrency / LATENCY_S
        print(
            f"| {concurrency} | {kind} | {median:.0f} | {low:.0f}-{high:.0f} | {ideal:.0f} "
            f"| {100 * median / ideal:.0f}% | {cpu:.2f} | {failures} |"
        )
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(simulated_run(Path(tmp), -1))  # warm-up: lazy imports
        timings = [asyncio.run(simulated_run(Path(tmp), i)) for i in range(max(args.runs, 5))]
    cold = statistics.median(t[0] for t in timings) * 1000
    warm = statistics.median(t[1] for t in timings) * 1000
    print(
        "\nSimulated judge, 66 comparisons (12 anchors), end to end in judge_pairs, "
        f"median of {len(timings)} runs\n"
    )
    print("| store | wall time |\n|---|---:|")
    print(f"| new SQLite store, 66 judged and written | {cold:.1f} ms |")
    print(f"| same store again, 66 served from cache | {warm:.1f} ms |")


if __name__ == "__main__":
    main()
