"""Requests per minute shared through PostgreSQL: three processes, one limit.

Each process takes a request from :class:`PostgresRateLimiter` and sends it to
the fake OpenAI server, which notes when each request arrives. Through one
shared bucket no second of arrivals may hold more than the refill plus the
burst (plus jitter); the control, one bucket per process, does exceed it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from eng5_runner.engine.limits.base import build_limiter
from eng5_runner.engine.limits.postgres import PostgresRateLimiter
from eng5_runner.settings.models import CacheSettings, JudgeSettings
from tests.fakes.llm_servers import FakeLLMServer

ROOT = Path(__file__).resolve().parents[2]
RPM = 600  # 10 requests per second
BURST_S = 0.2  # at most 2 at once
PER_JOB = 8
WINDOW_MAX = RPM / 60 + RPM / 60 * BURST_S + 4
"""Most arrivals any 1 s may see: the refill, the burst, and 4 for arrival jitter on a busy
machine (requests leave the limiter in order but reach the server a little bunched)."""

JOB = textwrap.dedent(
    """
    import asyncio, json, sys, time
    from pathlib import Path
    import httpx
    from eng5_runner.engine.limits.postgres import PostgresRateLimiter

    args = json.loads(sys.argv[1])
    limiter = PostgresRateLimiter(
        args["url"], args["key"], requests_per_minute=args["rpm"], tokens_per_minute=None,
        burst_s=args["burst"],
    )
    Path(args["ready"]).touch()
    while not all(Path(p).exists() for p in args["all_ready"]):
        time.sleep(0.01)

    async def main():
        async with httpx.AsyncClient() as client:
            for n in range(args["n"]):
                await limiter.acquire(0)
                body = {"model": "m", "messages": [{"role": "user", "content": f"job {n}"}]}
                reply = await client.post(args["server"], json=body)
                reply.raise_for_status()

    asyncio.run(main())
    limiter.close()
    """
)


def _run_three_jobs(pg_url: str, tmp_path: Path, *, shared: bool) -> list[float]:
    stamps: list[float] = []

    def answer(user: str) -> dict[str, object]:
        stamps.append(time.monotonic())
        return {"winner": "A", "justification": "ok", "confidence": 3}

    names = ("one", "two", "three")
    ready = [str(tmp_path / f"{name}.{shared}.ready") for name in names]
    with FakeLLMServer(answer_fn=answer) as server:
        jobs = []
        for name, flag in zip(names, ready, strict=True):
            args = {
                "url": pg_url,
                "key": "openai|default|m" if shared else f"openai|default|{name}",
                "rpm": RPM,
                "burst": BURST_S,
                "n": PER_JOB,
                "server": f"{server.openai_base_url}/chat/completions",
                "ready": flag,
                "all_ready": ready,
            }
            cmd = [sys.executable, "-c", JOB, json.dumps(args)]
            jobs.append(subprocess.Popen(cmd, cwd=ROOT, env={"PATH": "/usr/bin:/bin"}))
        for job in jobs:
            assert job.wait(120) == 0
    return sorted(stamps)


def _max_in_window(stamps: list[float], window: float) -> int:
    best, start = 0, 0
    for end, stamp in enumerate(stamps):
        while stamp - stamps[start] > window:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_three_processes_stay_within_the_shared_rpm(pg_url, tmp_path):
    stamps = _run_three_jobs(pg_url, tmp_path, shared=True)
    assert len(stamps) == 3 * PER_JOB
    assert _max_in_window(stamps, 1.0) <= WINDOW_MAX


@pytest.mark.slow
def test_control_one_bucket_per_process_exceeds_it(pg_url, tmp_path):
    stamps = _run_three_jobs(pg_url, tmp_path, shared=False)
    assert len(stamps) == 3 * PER_JOB
    assert _max_in_window(stamps, 1.0) > WINDOW_MAX


async def test_buckets_are_shared_between_instances(pg_url):
    first = PostgresRateLimiter(pg_url, "k", requests_per_minute=60, tokens_per_minute=600)
    second = PostgresRateLimiter(pg_url, "k", requests_per_minute=60, tokens_per_minute=600)
    try:
        assert first.capacity(60) == 10 and first.capacity(600) == 100
        for _ in range(5):
            await first.acquire(10)
        for _ in range(5):
            await second.acquire(10)
        # one bucket for both: empty now, so the next request waits about a second
        assert first._change("k|rpm", 60, 1, need=1) == pytest.approx(1.0, abs=0.3)
        second.refund(30)
        assert second._change("k|tpm", 600, 30, need=30) == 0  # the refund is visible
        other = PostgresRateLimiter(pg_url, "other", requests_per_minute=60, tokens_per_minute=None)
        assert other._change("other|rpm", 60, 1, need=1) == 0  # another key, its own bucket
        other.close()
    finally:
        first.close()
        second.close()


def test_build_limiter_picks_postgres_with_the_postgres_store(pg_url, tmp_path):
    judge = JudgeSettings(provider="openai", model="m", requests_per_minute=60)
    limiter = build_limiter(judge, CacheSettings(backend="postgres"))
    assert isinstance(limiter, PostgresRateLimiter)
    limiter.close()
    sqlite = build_limiter(judge, CacheSettings(path=tmp_path / "j.sqlite"))
    assert not isinstance(sqlite, PostgresRateLimiter)
    if sqlite is not None:
        sqlite.close()
