"""The CLI in batch mode: killed between submit and completion, then run again; exit 7."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.batch_servers import FakeBatchServer

pytestmark = pytest.mark.slow
KEY = "sk-batch-e2e-0123456789"


@pytest.fixture
def server() -> Iterator[FakeBatchServer]:
    with FakeBatchServer(api_key=KEY, polls_to_finish=2) as fake:
        yield fake


def _command(
    tmp_path: Path, server: FakeBatchServer, run: str, *args: str, provider: str = "openai"
) -> list[str]:
    base = server.openai_base_url if provider == "openai" else server.url
    return [
        sys.executable,
        "-m",
        "eng5_runner",
        "experiment=quickstart",
        f"judge={provider}",
        f"judge.base_url={base}",
        "judge.batch=true",
        "judge.batch_poll_s=0.05",
        f"cache.path={tmp_path}/store.sqlite",
        f"hydra.run.dir={tmp_path}/{run}",
        *args,
    ]


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "OPENAI_API_KEY": KEY,
        "ANTHROPIC_API_KEY": KEY,
    }


def _run(tmp_path: Path, server: FakeBatchServer, run: str, *args: str, provider: str = "openai"):  # type: ignore[no-untyped-def]
    return subprocess.run(
        _command(tmp_path, server, run, *args, provider=provider),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=_env(tmp_path),
    )


def test_kill_between_submit_and_completion_then_collect(
    server: FakeBatchServer, tmp_path: Path
) -> None:
    server.hold = True
    proc = subprocess.Popen(
        _command(tmp_path, server, "killed"),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=_env(tmp_path),
    )
    deadline = time.monotonic() + 120
    while server.retrieves < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert server.creates == 1 and server.retrieves >= 2, "the runner never polled its batch"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    server.release()
    out = _run(tmp_path, server, "collect")
    assert out.returncode == 0, out.stderr
    assert server.creates == 1  # nothing submitted twice
    lines = (tmp_path / "collect" / "comparisons.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 66
    assert all(r["status"] == "succeeded" and r["batch_id"] for r in records)
    assert server.count("/chat/completions") == 0


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_kill_while_the_provider_holds_the_create_then_rerun_pays_once(
    server: FakeBatchServer, tmp_path: Path, provider: str
) -> None:
    """The provider has the batch, the runner never saw its id: the re-run adopts it."""
    server.hold_create_s = 600.0
    proc = subprocess.Popen(
        _command(tmp_path, server, "killed", provider=provider),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=_env(tmp_path),
    )
    deadline = time.monotonic() + 120
    while server.creates < 1 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert server.creates == 1, "the runner never reached the create call"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    server.hold_create_s = 0.0
    out = _run(tmp_path, server, "collect", provider=provider)
    assert out.returncode == 0, out.stderr
    assert server.creates == 1  # 0 new create calls
    lines = (tmp_path / "collect" / "comparisons.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 66
    assert all(r["status"] == "succeeded" and r["batch_id"] for r in records)
    assert {r["batch_id"] for r in records} == set(server.batches)


def test_a_bad_key_in_batch_mode_is_one_line_and_exit_2(
    server: FakeBatchServer, tmp_path: Path
) -> None:
    command = _command(tmp_path, server, "badkey")
    out = subprocess.run(
        command,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=_env(tmp_path) | {"OPENAI_API_KEY": "sk-wrong-key-0123456789"},
    )
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    assert "sk-wrong-key-0123456789" not in out.stdout + out.stderr
    assert server.uploads == 0 and server.creates == 0


def test_submit_pass_exits_5_and_the_same_command_collects(
    server: FakeBatchServer, tmp_path: Path
) -> None:
    server.hold = True
    first = _run(tmp_path, server, "submit", "judge.batch_wait=false")
    assert first.returncode == 7, first.stderr
    assert "run the same command again to collect" in first.stderr
    assert "Traceback" not in first.stderr
    assert KEY not in first.stdout + first.stderr
    server.release()
    second = _run(tmp_path, server, "collect", "judge.batch_wait=false")
    assert second.returncode == 0, second.stderr
    assert server.creates == 1
    summary = json.loads((tmp_path / "collect" / "summary.json").read_text())
    assert summary["status"] != "error"


def _answer(user: str) -> dict[str, object]:
    winner = "A" if len(user) % 2 else "B"
    return {"winner": winner, "justification": "Deterministic.", "confidence": 1 + len(user) % 5}


def test_batch_and_synchronous_runs_report_the_same_metrics(
    server: FakeBatchServer, tmp_path: Path
) -> None:
    server.answer_fn = _answer
    batch = _run(tmp_path, server, "batch", "mode=anchor-align-test")
    assert batch.returncode in (0, 3), batch.stderr
    sync = _run(
        tmp_path,
        server,
        "sync",
        "mode=anchor-align-test",
        "judge.batch=false",
        f"cache.path={tmp_path}/sync.sqlite",
    )
    assert sync.returncode == batch.returncode, sync.stderr
    assert server.count("/chat/completions") == 66
    got = json.loads((tmp_path / "batch" / "summary.json").read_text())
    want = json.loads((tmp_path / "sync" / "summary.json").read_text())
    assert got["metrics"] == want["metrics"]
    assert got["status"] == want["status"]


def test_sweep_submit_pass_then_collect_pass(server: FakeBatchServer, tmp_path: Path) -> None:
    """A 2-variant sweep at batch price: submit, collect, and the metrics of a synchronous sweep."""
    server.hold = True
    server.answer_fn = _answer

    def sweep(name: str, *extra: str) -> subprocess.CompletedProcess[str]:
        command = _command(tmp_path, server, "unused", "judge.batch_wait=false", *extra)
        command[3:3] = ["-m"]
        command += [
            f"hydra.sweep.dir={tmp_path}/{name}",
            "system_prompt=001_baseline,002_language_first",
        ]
        return subprocess.run(
            command,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
            env=_env(tmp_path),
        )

    first = sweep("submit")
    assert first.returncode == 7, first.stderr
    assert "run the same command again to collect" in first.stderr
    assert server.creates == 2  # both jobs submitted in one pass
    server.release()
    second = sweep("collect")
    assert second.returncode == 0, second.stderr
    assert server.creates == 2
    assert server.count("/chat/completions") == 0
    data = json.loads((tmp_path / "collect" / "sweep_summary.json").read_text())
    assert [row["status"] for row in data["rows"]] == ["success", "success"]

    sync = sweep("sync", "judge.batch=false", f"cache.path={tmp_path}/sync.sqlite")
    assert sync.returncode == 0, sync.stderr
    assert server.count("/chat/completions") == 2 * 66
    want = json.loads((tmp_path / "sync" / "sweep_summary.json").read_text())
    for got_row, want_row in zip(data["rows"], want["rows"], strict=True):
        variant = [o for o in got_row["overrides"] if o.startswith("system_prompt=")]
        assert variant == [o for o in want_row["overrides"] if o.startswith("system_prompt=")]
        assert got_row["metrics"] == want_row["metrics"]
        assert got_row["comparisons"] == want_row["comparisons"] == 66
        assert got_row["cost_usd"] == pytest.approx(want_row["cost_usd"] / 2, rel=0.05)
