"""Two processes judging the same experiment on one store: each comparison paid once."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from eng5_runner.engine.store import SqliteStore
from tests.fakes.llm_servers import FakeLLMServer
from tests.helpers.cli import clean_env, start_runner

pytestmark = pytest.mark.slow
KEY = "sk-concurrent-" + "z9" * 10


def _start(tmp_path: Path, server: FakeLLMServer, name: str) -> subprocess.Popen[str]:
    return start_runner(
        "experiment=quickstart",
        "judge=openai",
        "judge.model=race-model",
        f"judge.base_url={server.openai_base_url}",
        f"cache.path={tmp_path}/store.sqlite",
        f"hydra.run.dir={tmp_path}/{name}",
        "judge.concurrency=4",
        "report.plots=false",
        cwd=tmp_path,
        env=clean_env(tmp_path, OPENAI_API_KEY=KEY),
    )


def test_two_processes_pay_each_comparison_once(tmp_path: Path) -> None:
    answers = iter(range(10**6))

    def varied(user: str) -> dict[str, object]:
        n = next(answers)  # every call answers differently: a double payment would show
        return {"winner": "AB"[n % 2], "justification": f"answer {n}", "confidence": 3}

    with FakeLLMServer(latency=0.08, answer_fn=varied) as server:
        first, second = _start(tmp_path, server, "one"), _start(tmp_path, server, "two")
        outs = [p.communicate(timeout=300) for p in (first, second)]
        hits = server.count("/chat/completions")
    assert first.returncode == 0 and second.returncode == 0, outs
    assert hits == 66

    store = SqliteStore(tmp_path / "store.sqlite", read_only=True)
    stored = {r.cache_key: r for r, _ in store.rows()}
    store.close()
    assert len(stored) == 66
    for name in ("one", "two"):
        lines = (tmp_path / name / "comparisons.jsonl").read_text().splitlines()
        records = [json.loads(line) for line in lines]
        assert len(records) == 66
        for record in records:
            truth = stored[record["cache_key"]]
            assert record["justification"] == truth.justification
            assert record["winner"] == truth.winner
            assert record["response_sha256"] == truth.response_sha256
        artefact = json.loads((tmp_path / name / "artefact.json").read_text())
        assert [c["justification"] for c in artefact["comparisons"]] == [
            r["justification"] for r in records
        ]
    reports = [(tmp_path / n / "report.md").read_text() for n in ("one", "two")]
    tables = [r[r.index("## Summary") : r.index("| Tokens")] for r in reports]
    assert tables[0] == tables[1]
