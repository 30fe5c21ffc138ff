"""Requests per minute hold across processes: two sweep jobs share one bucket."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from eng5_runner.engine.limits.sqlite import SqliteRateLimiter
from tests.engine.engine_support import FAKE_KEY

ROOT = Path(__file__).resolve().parents[2]
RPM = 600  # 10 requests per second
BURST_S = 0.2  # at most 2 requests at once
WINDOW_MAX = RPM / 60 + RPM / 60 * BURST_S + 2
"""Most requests any 1 s may see: the refill, the burst, and 2 for arrival jitter."""

JOB = textwrap.dedent(
    """
    import asyncio, json, sys, time
    from pathlib import Path
    from eng5_runner.engine.pairing import round_robin
    from eng5_runner.engine.run_local import judge_pairs
    from eng5_runner.settings.models import RunnerSettings
    from tests.engine.engine_support import make_inventory

    args = json.loads(sys.argv[1])
    inventory = make_inventory(5)
    settings = RunnerSettings.model_validate({
        "mode": "anchor-align-test",
        "dataset": {"anchors_dir": args["dir"]},
        "judge": {
            "provider": "openai", "model": "gpt-4.1", "base_url": args["url"],
            "requests_per_minute": args["rpm"], "rate_limit_burst_s": args["burst"],
            "rate_limit_path": args["limits"], "shared_rate_limits": args["shared"],
            "concurrency": 4, "max_retries": 0,
        },
        "system_prompt": {"name": "s", "text": args["system"]},
        "rubric": {"name": "r", "text": "Prefer clear essays."},
        "cache": {"mode": "off"},
        "show_progress": False,
    })
    requests = round_robin([e.essay_id for e in inventory.anchors])
    warm = settings.model_copy(update={"judge": settings.judge.model_copy(
        update={"model": "gpt-4o", "requests_per_minute": None})})
    asyncio.run(judge_pairs(warm, inventory, requests[:1], progress=False))  # lazy imports
    Path(args["ready"]).touch()  # start together: wait for the other job's imports
    while not all(Path(p).exists() for p in args["all_ready"]):
        time.sleep(0.01)
    records = asyncio.run(judge_pairs(settings, inventory, requests, progress=False))
    assert all(r.succeeded for r in records), records[0].failure_reason
    """
)


def _run_two_jobs(server, tmp_path: Path, *, shared: bool) -> list[float]:
    env = {"OPENAI_API_KEY": FAKE_KEY, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    jobs = []
    for name in ("one", "two"):
        args = {
            "dir": str(tmp_path),
            "url": server.openai_base_url,
            "rpm": RPM,
            "burst": BURST_S,
            "limits": str(tmp_path / "ratelimits.sqlite"),
            "shared": shared,
            "system": f"Examiner {name}.",
            "ready": str(tmp_path / f"{name}.ready"),
            "all_ready": [str(tmp_path / "one.ready"), str(tmp_path / "two.ready")],
        }
        jobs.append(
            subprocess.Popen(
                [sys.executable, "-c", JOB, json.dumps(args)], cwd=ROOT, env=env, text=True
            )
        )
    for job in jobs:
        assert job.wait(120) == 0
    return sorted(seen.at for seen in server.requests if seen.body["model"] == "gpt-4.1")


def _max_in_window(stamps: list[float], window: float) -> int:
    best, start = 0, 0
    for end, stamp in enumerate(stamps):
        while stamp - stamps[start] > window:
            start += 1
        best = max(best, end - start + 1)
    return best


@pytest.mark.slow
def test_two_processes_stay_within_the_shared_rpm(fake_server, tmp_path):
    stamps = _run_two_jobs(fake_server, tmp_path, shared=True)
    assert len(stamps) == 20  # 10 comparisons per job
    assert _max_in_window(stamps, 1.0) <= WINDOW_MAX
    # 20 requests through one bucket take about (20 - burst) / rate = 1.8 s
    assert stamps[-1] - stamps[0] >= 1.5


@pytest.mark.slow
def test_without_sharing_each_process_has_its_own_rpm(fake_server, tmp_path):
    """The control: per-process buckets let two jobs send about twice the rate."""
    stamps = _run_two_jobs(fake_server, tmp_path, shared=False)
    assert len(stamps) == 20
    assert stamps[-1] - stamps[0] < 1.5
    assert _max_in_window(stamps, 1.0) > WINDOW_MAX


async def test_sqlite_limiter_books_are_shared_between_instances(tmp_path, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("eng5_runner.engine.limits.sqlite.time.time", lambda: clock[0])
    path = tmp_path / "limits.sqlite"
    first = SqliteRateLimiter(path, "k", requests_per_minute=60, tokens_per_minute=600)
    second = SqliteRateLimiter(path, "k", requests_per_minute=60, tokens_per_minute=600)
    try:
        assert first.capacity(60) == 10 and first.capacity(600) == 100
        for _ in range(5):
            await first.acquire(10)
        for _ in range(5):
            await second.acquire(10)
        # both drew from one bucket: it is empty now, so the next request must wait
        assert first._change("k|rpm", 60, 1, need=1) == pytest.approx(1.0)
        second.refund(30)
        assert second._change("k|tpm", 600, 30, need=30) == 0  # the refund is visible
        other = SqliteRateLimiter(path, "other", requests_per_minute=60, tokens_per_minute=None)
        assert other._change("other|rpm", 60, 1, need=1) == 0  # another key, own bucket
        other.close()
    finally:
        first.close()
        second.close()
