"""A 4-job sweep on 2 worker processes sharing one PostgreSQL ledger.

The jobs vary ``system_prompt`` (2 values, different comparisons) and
``report.ridge`` (2 values, the same comparisons), so every comparison is
wanted by two jobs, possibly at once. The joblib launcher runs them on two
local worker processes (the same sweep on a local Ray cluster:
tests/sweeps/test_ray_sweep.py; recipes in docs/runbook.md).
Calls are counted at the fake OpenAI server.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from eng5_runner.engine.store_postgres import PostgresStore
from tests.fakes.llm_servers import FakeLLMServer

pytestmark = pytest.mark.slow
KEY = "sk-pgsweep-" + "w4" * 10
DISTINCT = 2 * 66  # two prompts × the quickstart's 66 comparisons


def _sweep(tmp_path: Path, server: FakeLLMServer, url: str, name: str) -> subprocess.Popen[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "OPENAI_API_KEY": KEY,
        "ENG5_STORE_URL": url,
    }
    return subprocess.Popen(
        [
            sys.executable, "-m", "eng5_runner", "-m", "experiment=quickstart", "judge=openai",
            "judge.model=sweep-model", f"judge.base_url={server.openai_base_url}",
            "system_prompt=001_baseline,002_language_first", "report.ridge=0.5,1.0",
            "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "cache.backend=postgres",
            f"hydra.sweep.dir={tmp_path}/{name}", "judge.concurrency=4", "report.plots=false",
            "show_progress=false",
        ],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True,
    )  # fmt: skip


def _stored(url: str) -> int:
    store = PostgresStore(url)
    try:
        return store.count()
    finally:
        store.close()


def test_four_jobs_on_two_workers_pay_each_comparison_once(pg_server, tmp_path):
    url = pg_server.new_database()
    with FakeLLMServer(latency=0.01) as server:
        job = _sweep(tmp_path, server, url, "sweep")
        out, err = job.communicate(timeout=600)
        hits = server.count("/chat/completions")
    assert job.returncode == 0, err
    assert hits == DISTINCT and _stored(url) == DISTINCT
    runs = sorted((tmp_path / "sweep").glob("*/comparisons.jsonl"))
    assert len(runs) == 4
    for run in runs:
        records = [json.loads(line) for line in run.read_text().splitlines()]
        assert len(records) == 66 and all(r["status"] == "succeeded" for r in records)


def test_killed_sweep_reruns_without_repeat_calls(pg_server, tmp_path):
    url = pg_server.new_database()
    with FakeLLMServer(latency=0.03) as server:
        job = _sweep(tmp_path, server, url, "sweep")
        deadline = time.monotonic() + 300
        while _stored(url) < 40 and job.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert job.poll() is None, "the sweep ended before it could be killed"
        os.killpg(job.pid, signal.SIGKILL)
        job.communicate(timeout=60)
        time.sleep(0.5)  # let the server see the killed jobs' connections close
        kept = _stored(url)
        before = server.count("/chat/completions")
        assert 40 <= kept < DISTINCT

        again = _sweep(tmp_path, server, url, "sweep")
        out, err = again.communicate(timeout=600)
        rerun_calls = server.count("/chat/completions") - before
    assert again.returncode == 0, err
    assert rerun_calls == DISTINCT - kept  # only what was not stored yet
    assert _stored(url) == DISTINCT
