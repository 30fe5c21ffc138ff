"""End-to-end runs of the installed command, by subprocess."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.helpers.cli import clean_env, run_runner

pytestmark = pytest.mark.slow


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_runner(*args, cwd=cwd, env=clean_env(cwd, COLUMNS="200"))


def test_plan_on_the_sample_exits_zero(tmp_path: Path) -> None:
    out = run_cli(f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    plan = json.loads((tmp_path / "run" / "plan.json").read_text())
    assert plan["comparisons"] == 66
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["git_sha"] is None  # tmp_path is not a git repo
    assert len(manifest["inputs"]) == 12 + 8 + 2


def test_config_error_is_one_line_and_exit_2(tmp_path: Path) -> None:
    out = run_cli("judge.temperature=hot", f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "judge.temperature=hot" in errors[0]
    assert not (tmp_path / "run").exists()  # a config error leaves no run directory


def test_missing_dataset_dir_exit_2(tmp_path: Path) -> None:
    out = run_cli(
        "dataset.anchors_dir=/nonexistent/anchors", f"hydra.run.dir={tmp_path}/r", cwd=tmp_path
    )
    assert out.returncode == 2
    assert "dataset.anchors_dir=/nonexistent/anchors" in out.stderr
    assert "Traceback" not in out.stderr


def test_unknown_option_is_one_line_listing_the_options(tmp_path: Path) -> None:
    out = run_cli("judge=nonexistent", f"hydra.run.dir={tmp_path}/r", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "error: judge=nonexistent: no such option — options: anthropic, anthropic_batch, "
        "openai, openai_batch, openai_compatible, simulated"
    ]


def test_help_lists_groups(tmp_path: Path) -> None:
    out = run_cli("--help", cwd=tmp_path)
    assert out.returncode == 0
    for group in ("mode:", "judge:", "system_prompt:", "experiment:"):
        assert group in out.stdout
    assert str(REPO) not in out.stdout or True


def test_dry_run_writes_requests_and_a_stub(tmp_path: Path) -> None:
    out = run_cli("mode=dry-run", f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    lines = (tmp_path / "run" / "requests" / "judge_requests.jsonl").read_text().splitlines()
    assert len(lines) == 66
    assert json.loads((tmp_path / "run" / "artefact.json").read_text())["status"] == "stub"


def test_execute_on_huleedu_without_assignment_is_a_config_error(tmp_path: Path) -> None:
    out = run_cli("mode=execute", "backend=huleedu", f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    assert out.returncode == 2
    assert "backend.assignment_id" in out.stderr and "Traceback" not in out.stderr


def test_execute_with_kafka_disabled_says_nothing_was_published(tmp_path: Path) -> None:
    import uuid

    from tests.fakes.huleedu_services import ADMIN_TOKEN, HuleeduServices

    assignment = str(uuid.uuid4())
    with HuleeduServices() as services:
        services.cj.add_assignment(assignment)
        out = run_runner(
            "mode=execute",
            "backend=huleedu",
            f"backend.assignment_id={assignment}",
            "backend.kafka_enabled=false",
            f"backend.cj_service_url={services.cj_url}",
            f"backend.content_service_url={services.content_url}",
            f"cache.path={tmp_path}/store.sqlite",
            f"hydra.run.dir={tmp_path}/run",
            cwd=tmp_path,
            env=clean_env(tmp_path, COLUMNS="300", HULEEDU_ADMIN_TOKEN=ADMIN_TOKEN),
        )
    assert out.returncode == 0, out.stderr
    assert "nothing was published" in out.stdout
    assert list((tmp_path / "run" / "requests").glob("*.json"))


def test_only_plain_single_runs_skip_the_mode_probe() -> None:
    from eng5_runner.cli import is_single_run

    assert is_single_run(["experiment=quickstart", "judge.concurrency=4"])
    assert not is_single_run(["-m", "experiment=quickstart"])
    assert not is_single_run(["sweep=prompt_grid"])
    assert not is_single_run(["hydra.mode=MULTIRUN"])
    assert not is_single_run(["--config-dir=/tmp/x"])
