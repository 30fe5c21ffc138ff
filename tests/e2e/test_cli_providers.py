"""CLI runs against a real HTTP provider on loopback: success, secrets, clear failures."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.llm_servers import FakeLLMServer, closed_port
from tests.helpers.cli import clean_env, run_runner

pytestmark = pytest.mark.slow
SECRET = "sk-e2e-" + "s3cr3t" * 6


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(api_key=SECRET) as fake:
        yield fake


def run_cli(
    tmp_path: Path, *args: str, key: str | None = SECRET
) -> subprocess.CompletedProcess[str]:
    env = clean_env(tmp_path)
    if key is not None:
        env["OPENAI_API_KEY"] = key
    return run_runner(
        "experiment=quickstart",
        "judge=openai",
        f"cache.path={tmp_path}/store.sqlite",
        f"hydra.run.dir={tmp_path}/run",
        "judge.max_retries=1",
        "judge.backoff_base_s=0.01",
        *args,
        cwd=tmp_path,
        env=env,
    )


def test_openai_run_never_writes_the_key(server: FakeLLMServer, tmp_path: Path) -> None:
    out = run_cli(tmp_path, f"judge.base_url={server.openai_base_url}", "judge.model=e2e-model")
    assert out.returncode == 0, out.stderr
    assert server.count("/chat/completions") == 66
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "artefact.json" for p in written)
    for path in written:
        assert SECRET.encode() not in path.read_bytes(), path
    assert SECRET not in out.stdout + out.stderr


def test_missing_key_names_the_variable(tmp_path: Path) -> None:
    out = run_cli(tmp_path, key=None)
    assert out.returncode == 2
    assert "OPENAI_API_KEY" in out.stderr and "Traceback" not in out.stderr


def test_unreachable_base_url_is_one_clear_line(tmp_path: Path) -> None:
    out = run_cli(tmp_path, f"judge.base_url=http://127.0.0.1:{closed_port()}/v1")
    assert out.returncode == 1
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "127.0.0.1" in errors[0]
    assert "Traceback" not in out.stderr


def _errors(out: subprocess.CompletedProcess[str]) -> list[str]:
    assert "Traceback" not in out.stderr
    return [line for line in out.stderr.splitlines() if line.startswith("error:")]


def test_spend_cap_exits_4_with_one_line_and_keeps_the_judged(
    server: FakeLLMServer, tmp_path: Path
) -> None:
    chat = ("judge.model=gpt-4.1", "judge.reasoning_effort=null", "judge.output_verbosity=null")
    base = (f"judge.base_url={server.openai_base_url}", *chat, "judge.max_tokens=200")
    out = run_cli(tmp_path, *base, "judge.max_cost_usd=0.01")
    (line,) = _errors(out)
    assert out.returncode == 6 and "judge.max_cost_usd=0.01 reached" in line
    judged = server.count("/chat/completions")
    assert 0 < judged < 66
    again = run_cli(tmp_path, *base, "judge.max_cost_usd=10")
    assert again.returncode == 0, again.stderr
    assert server.count("/chat/completions") == 66  # resumed: the judged ones were served


def test_preflight_stops_on_a_bad_model_with_exit_2(server: FakeLLMServer, tmp_path: Path) -> None:
    from tests.fakes.llm_servers import server_error

    server.add_fault(server_error(404), times=100)
    out = run_cli(tmp_path, f"judge.base_url={server.openai_base_url}", "judge.preflight=true")
    (line,) = _errors(out)
    assert out.returncode == 2 and "judge.preflight" in line and "judge.model" in line
    assert server.count("/chat/completions") == 1


def test_extra_body_typo_is_one_line_before_any_call(server: FakeLLMServer, tmp_path: Path) -> None:
    out = run_cli(tmp_path, f"judge.base_url={server.openai_base_url}", "+judge.extra_body.sed=7")
    (line,) = _errors(out)
    assert out.returncode == 2 and "judge.extra_body.sed" in line
    assert server.hits == 0
