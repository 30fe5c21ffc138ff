"""Judgement-store operations on SQLite and on PostgreSQL, and the shared RPM across processes.

Starts a throwaway PostgreSQL server from Debian's binaries (tests/fakes/postgres_server.py;
``bash scripts/system_deps.sh`` installs them). Prints median put/get latency per backend and,
for three processes at 600 RPM with a 0.2 s burst, the most requests in any 1 s window through
one shared bucket and through one bucket per process.

    python bench/bench_store_backends.py [--ops 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eng5_runner.engine.store import JudgementStore, SqliteStore  # noqa: E402
from eng5_runner.engine.store_postgres import PostgresStore  # noqa: E402
from tests.fakes.postgres_server import PostgresServer, postgres_bindir  # noqa: E402
from tests.store.test_pg_shared_limits import (  # noqa: E402
    WINDOW_MAX,
    _max_in_window,
    _run_three_jobs,
)
from tests.store.test_store_postgres import _ok  # noqa: E402


def _latency(store: JudgementStore, ops: int) -> tuple[float, float]:
    puts, gets = [], []
    for i in range(ops):
        start = time.perf_counter()
        store.put(_ok(f"k{i}"), {"n": i})
        puts.append(time.perf_counter() - start)
    for i in range(ops):
        start = time.perf_counter()
        store.get_many([f"k{i}"])
        gets.append(time.perf_counter() - start)
    return statistics.median(puts) * 1000, statistics.median(gets) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ops", type=int, default=200)
    args = parser.parse_args()
    bindir = postgres_bindir()
    if bindir is None:
        sys.exit("PostgreSQL binaries not found: bash scripts/system_deps.sh")
    server = PostgresServer(bindir).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            stores: list[tuple[str, JudgementStore]] = [
                ("sqlite", SqliteStore(Path(tmp) / "s.sqlite")),
                ("postgres", PostgresStore(server.new_database())),
            ]
            for name, store in stores:
                put_ms, get_ms = _latency(store, args.ops)
                print(f"{name:9} put median {put_ms:.2f} ms   get median {get_ms:.2f} ms")
                store.close()
            for shared in (True, False):
                stamps = _run_three_jobs(server.new_database(), Path(tmp), shared=shared)
                label = "shared bucket" if shared else "bucket per process"
                print(
                    f"{label:19} {len(stamps)} requests, most in 1 s: "
                    f"{_max_in_window(stamps, 1.0)} (limit {WINDOW_MAX:.0f}), "
                    f"span {stamps[-1] - stamps[0]:.2f} s"
                )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
