"""A 4-job sweep on a local 2-CPU Ray cluster sharing one PostgreSQL ledger.

The test starts a real Ray head on 127.0.0.1 (``ray start --head``, two CPUs,
no dashboard, no usage stats, ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` so Ray
uses the loopback address instead of the machine's own IP) and runs the
installed ``eng5-runner`` console script with ``hydra/launcher=eng5_ray``
joining it. Jobs vary ``system_prompt`` (2 values, different comparisons) and
``report.ridge`` (2 values, the same comparisons), so every comparison is
wanted by two jobs, possibly on the two Ray workers at once. Paid calls (those
answered 200) are counted at the loopback fake OpenAI server. Ray workers are
spawned by the raylet, so the store URL and the key are in ``ray start``'s
environment (as on a real cluster: see docs/runbook.md, "Ray cluster").
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from eng5_runner.engine.store_postgres import PostgresStore
from tests.fakes.llm_servers import FakeLLMServer, rate_limited
from tests.fakes.postgres_server import PostgresServer, free_port
from tests.store.conftest import _missing, pg_server  # noqa: F401  (the PostgreSQL fixture)

pytestmark = pytest.mark.slow
KEY = "sk-raysweep-" + "r7" * 10
DISTINCT = 2 * 66  # two prompts × the quickstart's 66 comparisons
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def ray_cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """A Ray head on 127.0.0.1 with 2 CPUs; yields the environment its workers see.

    Ray workers inherit ``ray start``'s environment, not the driver's, so the
    store URL is fixed here.
    """
    if importlib.util.find_spec("hydra_plugins.hydra_ray_launcher") is None:
        _missing('hydra-ray-launcher is not installed; install it with: pip install -e ".[dev]"')
    home = tmp_path_factory.mktemp("ray")
    server: PostgresServer = request.getfixturevalue("pg_server")
    url = server.new_database()
    port = free_port()
    env = {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "HOME": str(home),
        "OPENAI_API_KEY": KEY,
        "ENG5_STORE_URL": url,
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",  # a one-node cluster on the loopback address
        "RAY_TMPDIR": str(home),
        "RAY_ADDRESS": f"127.0.0.1:{port}",
    }
    ray = shutil.which("ray", path=env["PATH"]) or "ray"
    ports = {
        name: str(free_port())
        for name in (
            "ray-client-server-port", "dashboard-agent-listen-port", "dashboard-agent-grpc-port",
            "metrics-export-port", "runtime-env-agent-port", "node-manager-port",
            "object-manager-port",
        )
    }  # fmt: skip
    log = home / "ray.log"
    with log.open("w") as sink:
        # --block keeps the head's processes in this one process group: teardown ends
        # exactly them (never `ray stop`, which stops every Ray on the machine).
        head = subprocess.Popen(
            [
                ray, "start", "--head", "--block", "--node-ip-address=127.0.0.1",
                f"--port={port}", "--num-cpus=2", "--include-dashboard=false",
                "--disable-usage-stats", f"--temp-dir={home}/t",
                *(f"--{name}={value}" for name, value in ports.items()),
            ],
            env=env, cwd=home, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while "Ray runtime started" not in log.read_text() and head.poll() is None:
            assert time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.2)
        assert head.poll() is None, log.read_text()[-2000:]
        yield env
    finally:
        _end(head)


def _end(head: subprocess.Popen[bytes]) -> None:
    """SIGKILL the head's process group: the cluster is throwaway (its files are in tmp)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(head.pid, signal.SIGKILL)
    head.wait(timeout=30)


def _sweep(env: dict[str, str], server: FakeLLMServer, sweep_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            str(BIN / "eng5-runner"), "-m", "experiment=quickstart", "judge=openai",
            "judge.model=ray-model", f"judge.base_url={server.openai_base_url}",
            "system_prompt=001_baseline,002_language_first", "report.ridge=0.5,1.0",
            "hydra/launcher=eng5_ray", f"hydra.launcher.ray.init.address={env['RAY_ADDRESS']}",
            "cache.backend=postgres", f"hydra.sweep.dir={sweep_dir}", "judge.concurrency=4",
            "judge.backoff_max_s=30", "report.plots=false", "report.bootstrap.resamples=200",
            "show_progress=false",
        ],
        cwd=sweep_dir.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True,
    )  # fmt: skip


def _stored(url: str) -> int:
    store = PostgresStore(url)
    try:
        return store.count()
    finally:
        store.close()


def _paid(server: FakeLLMServer) -> int:
    """Calls the fake provider answered (a 429 costs nothing)."""
    return sum(1 for r in server.requests if r.path.endswith("/chat/completions") and not r.fault)


def _settled(url: str) -> int:
    """The store's count once it stopped growing for 2 s."""
    last, still = -1, 0
    while still < 4:
        time.sleep(0.5)
        now = _stored(url)
        still = still + 1 if now == last else 0
        last = now
    return last


def test_killed_ray_sweep_pays_each_comparison_once(ray_cluster, tmp_path):
    """Kill the driver midway (its process group, SIGKILL), re-run: paid calls = distinct."""
    url = ray_cluster["ENG5_STORE_URL"]
    sweep_dir = tmp_path / "sweep"
    with FakeLLMServer(latency=0.01) as server:
        job = _sweep(ray_cluster, server, sweep_dir)
        deadline = time.monotonic() + 240
        while _stored(url) < 30 and job.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        # From here on the provider only answers 429 (Retry-After 60): the jobs back off,
        # the answers already paid for land in the store, then the driver is killed.
        server.add_fault(rate_limited("60"), times=10**6)
        kept = _settled(url)
        assert job.poll() is None, "the sweep ended before it could be killed"
        os.killpg(job.pid, signal.SIGKILL)
        job.communicate(timeout=60)
        paid = _paid(server)
        assert 30 <= kept < DISTINCT
        assert paid == kept  # every paid answer of the killed sweep is in the ledger, once

        server.clear_faults()
        again = _sweep(ray_cluster, server, sweep_dir)
        out, err = again.communicate(timeout=300)
        rerun_paid = _paid(server) - paid
    assert again.returncode == 0, err[-3000:]
    assert "Connected to Ray cluster" in err  # joined the test's cluster, did not start its own
    assert rerun_paid == DISTINCT - kept  # nothing stored was paid again
    assert _paid(server) == _stored(url) == DISTINCT
    runs = sorted(sweep_dir.glob("*/comparisons.jsonl"))
    assert len(runs) == 4
    for run in runs:
        records = [json.loads(line) for line in run.read_text().splitlines()]
        assert len(records) == 66 and all(r["status"] == "succeeded" for r in records)
