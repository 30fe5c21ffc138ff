"""What only the PostgreSQL store does: URL from the environment, redaction, lost
connections (retried, then a clean stop), dead jobs' claims, the copy command."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from eng5_runner.engine.pairing import round_robin
from eng5_runner.engine.records import JudgementRecord
from eng5_runner.engine.run_local import judge_pairs
from eng5_runner.engine.store import SqliteStore
from eng5_runner.engine.store_cli import main as store_main
from eng5_runner.engine.store_postgres import PostgresStore
from eng5_runner.errors import ConfigError, OutputError
from tests.engine.engine_support import FAKE_KEY
from tests.fakes.llm_servers import FakeLLMServer, closed_port
from tests.fakes.tcp_proxy import TcpProxy

ROOT = Path(__file__).resolve().parents[2]


def _pg_cache(settings, **extra):
    cache = {"backend": "postgres", "url_env": "ENG5_STORE_URL"} | extra
    return settings.model_copy(update={"cache": settings.cache.model_copy(update=cache)})


def test_missing_url_variable_is_a_config_error(monkeypatch):
    monkeypatch.delenv("MY_STORE_URL", raising=False)
    with pytest.raises(ConfigError, match="MY_STORE_URL") as caught:
        PostgresStore.from_env("MY_STORE_URL")
    assert caught.value.exit_code == 2


def test_unreachable_server_names_the_variable_never_the_url(monkeypatch):
    password = "pw-Zq81-secret"
    url = f"postgresql://runner:{password}@127.0.0.1:{closed_port()}/judgements"
    monkeypatch.setenv("ENG5_STORE_URL", url)
    with pytest.raises(OutputError) as caught:
        PostgresStore.from_env("ENG5_STORE_URL", retry_s=0.3)
    line = caught.value.one_line()
    assert caught.value.exit_code == 5 and "$ENG5_STORE_URL" in line and "unreachable" in line
    assert password not in line and url not in line


def test_killed_connections_are_retried(pg_server, pg_url):
    store = PostgresStore(pg_url)
    try:
        assert store.claim(["k1"], "me", ttl_s=60) == {"k1"}
        assert pg_server.terminate_connections(pg_url) >= 1
        assert store.count() == 0  # reconnected
        # the reconnect moved our claim to the new connection: still ours, still live
        other = PostgresStore(pg_url)
        assert other.claim(["k1"], "other", ttl_s=60) == set()
        other.close()
    finally:
        store.close()


def test_claims_of_a_killed_job_are_taken_over_at_once(pg_url):
    code = (
        "import sys, time\n"
        "from eng5_runner.engine.store_postgres import PostgresStore\n"
        "s = PostgresStore(sys.argv[1]); s.claim(['k1', 'k2'], 'doomed', ttl_s=60)\n"
        "print('claimed', flush=True); time.sleep(60)\n"
    )
    job = subprocess.Popen(
        [sys.executable, "-c", code, pg_url], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert job.stdout is not None and job.stdout.readline().strip() == "claimed"
        store = PostgresStore(pg_url)
        assert store.claimed_elsewhere(["k1", "k2"], "me", ttl_s=60) == {"k1", "k2"}
        os.kill(job.pid, signal.SIGKILL)
        job.wait(10)
        for _ in range(100):  # the server notices the closed socket within moments
            if not store.claimed_elsewhere(["k1", "k2"], "me", ttl_s=60):
                break
            import time

            time.sleep(0.05)
        assert store.claim(["k1", "k2"], "me", ttl_s=60) == {"k1", "k2"}
        store.close()
    finally:
        job.kill()
        job.wait(10)
        if job.stdout is not None:
            job.stdout.close()


async def test_lost_database_stops_the_run_with_what_was_judged(
    pg_server, fake_server, inventory, make_settings, monkeypatch
):
    proxy = TcpProxy(pg_server.port).start()
    url = pg_server.new_database().replace(f":{pg_server.port}/", f":{proxy.port}/")
    monkeypatch.setenv("ENG5_STORE_URL", url)
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    base = make_settings("openai", base_url=fake_server.openai_base_url, concurrency=1)
    settings = _pg_cache(base, retry_s=0.5)
    requests = round_robin([e.essay_id for e in inventory.anchors])
    seen: list[JudgementRecord] = []

    def keep(record: JudgementRecord) -> None:
        seen.append(record)
        if len(seen) == 2:
            proxy.cut()  # the database goes away after two answers were stored

    try:
        with pytest.raises(OutputError, match="unreachable") as caught:
            await judge_pairs(settings, inventory, requests, progress=False, on_record=keep)
    finally:
        proxy.close()
    assert url not in caught.value.one_line()
    assert len(seen) == 3 == fake_server.hits  # the third was paid: it is kept, not lost
    store = PostgresStore(url.replace(f":{proxy.port}/", f":{pg_server.port}/"))
    assert store.count() == 2
    store.close()


async def test_a_database_outage_leaves_the_event_loop_free(
    pg_server, fake_server, inventory, make_settings, monkeypatch
):
    """While a store write retries a lost connection, the loop keeps running: here a task
    on the same loop ends the outage, and the run completes with every answer stored once.
    (Were the retry blocking the loop, the outage would outlast ``retry_s``: exit 5.)"""
    proxy = TcpProxy(pg_server.port).start()
    url = pg_server.new_database().replace(f":{pg_server.port}/", f":{proxy.port}/")
    monkeypatch.setenv("ENG5_STORE_URL", url)
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    base = make_settings(
        "openai", base_url=fake_server.openai_base_url, concurrency=2, requests_per_minute=60000
    )
    settings = _pg_cache(base, retry_s=10)
    requests = round_robin([e.essay_id for e in inventory.anchors])
    seen: list[JudgementRecord] = []
    outage = asyncio.Event()
    ticks = [0]

    def keep(record: JudgementRecord) -> None:
        seen.append(record)
        if len(seen) == 2:
            proxy.cut()  # store, claims and shared limiter lose their connections
            loop.call_soon_threadsafe(outage.set)

    async def end_outage() -> None:
        await outage.wait()
        while ticks[0] < 3:  # the loop turns while the store retries
            await asyncio.sleep(0.05)
            ticks[0] += 1
        proxy.restore()

    loop = asyncio.get_running_loop()
    try:
        records, _ = await asyncio.gather(
            judge_pairs(settings, inventory, requests, progress=False, on_record=keep),
            end_outage(),
        )
    finally:
        proxy.close()
    assert ticks[0] == 3 and len(records) == len(requests) == len(seen)
    assert all(r.succeeded for r in records) and fake_server.hits == len(requests)
    store = PostgresStore(url.replace(f":{proxy.port}/", f":{pg_server.port}/"))
    assert store.count() == len(requests)
    store.close()


def test_copy_sqlite_to_postgres_and_back(pg_url, tmp_path, capsys):
    source = SqliteStore(tmp_path / "a.sqlite")
    for n in range(3):
        source.put(_ok(f"k{n}"), {"n": n})
    source.put(_ok("k9").model_copy(update={"status": "failed", "winner": None}), {})
    source.close()
    assert store_main(["copy", str(tmp_path / "a.sqlite"), "pg:"]) == 0
    assert "copied 3 judgements" in capsys.readouterr().out
    assert store_main(["copy", str(tmp_path / "a.sqlite"), "pg:ENG5_STORE_URL"]) == 0
    assert "0 new, 3 already there; 0 failures added" in capsys.readouterr().out
    assert store_main(["copy", "pg:", str(tmp_path / "b.sqlite")]) == 0
    back = SqliteStore(tmp_path / "b.sqlite", read_only=True)
    assert [(r.cache_key, i) for r, i in back.rows()] == [(f"k{n}", {"n": n}) for n in range(3)]
    assert [r.cache_key for r in back.failures()] == ["k9"]
    back.close()


def test_copy_refuses_a_url_on_the_command_line(pg_url, capsys):
    assert store_main(["copy", pg_url, "x.sqlite"]) == 2
    err = capsys.readouterr().err
    assert "shell histories" in err and pg_url not in err


def _ok(key: str) -> JudgementRecord:
    return JudgementRecord.model_validate(
        {
            "comparison_id": f"c-{key}",
            "essay_a_id": "A1",
            "essay_b_id": "B1",
            "status": "succeeded",
            "winner": "A",
            "confidence": 3,
            "justification": "clearer",
            "provider": "openai",
            "model": "m",
            "cache_key": key,
        }
    )


@pytest.mark.slow
def test_cli_run_on_a_lost_database_exits_5_without_traceback(pg_server, tmp_path):
    proxy = TcpProxy(pg_server.port).start()
    url = pg_server.new_database().replace(f":{pg_server.port}/", f":{proxy.port}/")
    calls = [0]

    def answer(user: str) -> dict[str, object]:
        calls[0] += 1
        if calls[0] == 5:
            proxy.cut()
        return {"winner": "A", "justification": "clearer", "confidence": 3}

    key = "sk-pgloss-" + "q7" * 10
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "OPENAI_API_KEY": key}
    env["ENG5_STORE_URL"] = url
    try:
        with FakeLLMServer(answer_fn=answer) as server:
            out = subprocess.run(
                [
                    sys.executable, "-m", "eng5_runner", "experiment=quickstart", "judge=openai",
                    "judge.model=pg-model", f"judge.base_url={server.openai_base_url}",
                    "cache.backend=postgres", "cache.retry_s=0.5", f"hydra.run.dir={tmp_path}/run",
                    "judge.concurrency=1", "report.plots=false",
                ],
                cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False, env=env,
            )  # fmt: skip
    finally:
        proxy.close()
    assert out.returncode == 5, out.stderr
    assert "Traceback" not in out.stderr and url not in out.stderr
    assert "$ENG5_STORE_URL" in out.stderr
    lines = (tmp_path / "run" / "comparisons.jsonl").read_text().splitlines()
    assert len(lines) == 5 and all(json.loads(line)["status"] == "succeeded" for line in lines)
    artefact = json.loads((tmp_path / "run" / "artefact.json").read_text())
    assert artefact["status"] == "partial"
    assert "stopped early: OutputError" in (tmp_path / "run" / "report.md").read_text()
    for path in (tmp_path / "run").rglob("*"):
        if path.is_file():
            assert url not in path.read_text(errors="replace"), path
