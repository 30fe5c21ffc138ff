"""The CLI's verdicts under injected faults: status, exit code and banner at 0/10/100 %."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.llm_servers import (
    FakeLLMServer,
    bad_answer,
    garbage,
    rate_limited,
    reset,
    server_error,
    slow,
)
from tests.helpers.cli import clean_env, run_runner

pytestmark = pytest.mark.slow
KEY = "sk-outcome-" + "k3y" * 8


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as fake:
        yield fake


def run_cli(tmp_path: Path, server: FakeLLMServer, *args: str) -> subprocess.CompletedProcess[str]:
    return run_runner(
        "experiment=quickstart",
        "judge=openai",
        "judge.model=fault-model",
        f"judge.base_url={server.openai_base_url}",
        f"cache.path={tmp_path}/store.sqlite",
        f"hydra.run.dir={tmp_path}/run",
        "judge.max_retries=2",
        "judge.backoff_base_s=0.01",
        "judge.backoff_max_s=0.05",
        "judge.timeout_s=1",
        "report.plots=false",
        *args,
        cwd=tmp_path,
        env=clean_env(tmp_path, OPENAI_API_KEY=KEY),
    )


def _outputs(tmp_path: Path) -> tuple[dict, dict, str, list[dict]]:
    run = tmp_path / "run"
    artefact = json.loads((run / "artefact.json").read_text())
    summary = json.loads((run / "summary.json").read_text())
    report = (run / "report.md").read_text()
    lines = (run / "comparisons.jsonl").read_text().splitlines()
    return artefact, summary, report, [json.loads(line) for line in lines]


def test_mixed_transient_faults_end_complete(tmp_path: Path, server: FakeLLMServer) -> None:
    server.add_fault(rate_limited("0.01"), times=4)
    server.add_fault(server_error(503), times=4)
    server.add_fault(reset(), times=4)
    server.add_fault(slow(3.0), times=2)
    server.add_fault(garbage(), times=2)
    out = run_cli(tmp_path, server)
    assert out.returncode == 0, out.stderr
    artefact, summary, report, records = _outputs(tmp_path)
    assert artefact["status"] == "complete" and summary["status"] == "complete"
    assert len(records) == 66 and all(r["status"] == "succeeded" for r in records)
    assert not artefact["runner_status"]["partial_data"]
    assert "Run PARTIAL" not in report and "Run FAILED" not in report
    assert "Traceback" not in out.stderr
    run = tmp_path / "run"  # report.md is written last: a report always has its artefact
    written = {p.name: p.stat().st_mtime_ns for p in run.iterdir() if p.is_file()}
    assert written["report.md"] >= max(written["artefact.json"], written["summary.json"])


def test_ten_percent_failed_is_partial_exit_4(tmp_path: Path, server: FakeLLMServer) -> None:
    server.add_fault(server_error(400), times=6)
    server.add_fault(bad_answer(winner="C", justification="x", confidence=3), times=2, match="")
    out = run_cli(tmp_path, server, "judge.concurrency=1")
    assert out.returncode == 4, out.stderr
    artefact, summary, report, records = _outputs(tmp_path)
    failed = [r for r in records if r["status"] == "failed"]
    assert len(records) == 66 and len(failed) == 7  # 6 × 400, then one bad answer twice
    assert artefact["status"] == "partial" and summary["status"] == "partial"
    assert artefact["runner_status"]["partial_data"] is True
    outcome = artefact["runner_status"]["outcome"]
    assert outcome["failed_fraction"] == pytest.approx(7 / 66, abs=1e-6)
    reasons = {r["reason"]: r["count"] for r in outcome["failure_reasons"]}
    assert sum(reasons.values()) == 7 and any("HTTP 400" in r for r in reasons)
    assert report.splitlines()[2].startswith("> **Run PARTIAL: 7 of 66 comparison(s)")
    assert "6 × ProviderResponseError: HTTP 400" in report
    assert "✅ pass" not in report
    assert "Run PARTIAL: 7 of 66" in out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in out.stderr
    assert json.loads((tmp_path / "run" / "error.json").read_text())["exit_code"] == 4


def test_all_failed_is_failed_with_null_metrics(tmp_path: Path, server: FakeLLMServer) -> None:
    server.add_fault(server_error(400), times=1000)
    out = run_cli(tmp_path, server)
    assert out.returncode == 4, out.stderr
    artefact, summary, report, records = _outputs(tmp_path)
    assert len(records) == 66 and all(r["status"] == "failed" for r in records)
    assert artefact["status"] == "failed" and summary["status"] == "failed"
    assert set(artefact["metrics"].values()) == {None}
    assert set(summary["metrics"].values()) == {None}
    assert all(t["value"] is None and not t["passed"] for t in artefact["targets"])
    assert "pass" not in out.stdout.replace("passed", "")
    assert "n/a" in out.stdout
    assert "✅ pass" not in report and "⚠️ n/a" in report
    assert "Run FAILED: 66 of 66" in report and "66 × ProviderResponseError: HTTP 400" in report
    assert "Traceback" not in out.stderr


def test_fatal_mid_run_still_writes_everything(tmp_path: Path, server: FakeLLMServer) -> None:
    server.api_key = "another-key"  # every call is rejected: a 401 stops new work
    out = run_cli(tmp_path, server, "judge.concurrency=2")
    assert out.returncode == 2, out.stderr
    artefact, summary, report, records = _outputs(tmp_path)
    assert artefact["status"] == "failed" and 1 <= len(records) <= 2
    assert "stopped early: ProviderAuthError" in report
    assert json.loads((tmp_path / "run" / "error.json").read_text())["exit_code"] == 2
    assert "Traceback" not in out.stderr and KEY not in out.stderr + report
