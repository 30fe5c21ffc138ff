"""A researcher's own project folder: the scaffold, --config-dir, TOML, from any directory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from eng5_runner.scaffold.init_project import main as init_main
from eng5_runner.scaffold.init_project import planned_files
from tests.helpers.cli import runner_command

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


def _env(home: Path) -> dict[str, str]:
    return {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(home), "COLUMNS": "200"}


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), cwd=cwd, capture_output=True, text=True, timeout=300, check=False, env=_env(cwd)
    )


def _only_run_dir(root: Path) -> Path:
    (summary,) = root.glob("outputs/runs/*/*/manifest.json")
    return summary.parent


def test_scaffold_plans_and_runs_its_experiment(tmp_path: Path) -> None:
    project = tmp_path / "my_study"
    made = run("eng5-runner-init", str(project), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    for rel in (
        "conf/experiment/my_alignment_v1.yaml",
        "conf/experiment/my_boundaries_v1.toml",
        "prompts/system_prompt.md",
        "prompts/rubric.md",
        "data/grades.csv",
        "data/anchors/anchor_01_F+.txt",
        ".gitignore",
        ".github/workflows/eng5.yml",
        "README.md",
    ):
        assert (project / rel).is_file(), rel
    readme = (project / "README.md").read_text()
    commands = [line for line in readme.splitlines() if line.startswith("eng5-runner ")]
    assert len(commands) == 3  # plan, run, sweep

    plan = run(
        "eng5-runner",
        "--config-dir",
        "conf",
        "mode=plan",
        "experiment=my_alignment_v1",
        cwd=project,
    )
    assert plan.returncode == 0, plan.stderr
    plan_dir = _only_run_dir(project)
    assert json.loads((plan_dir / "plan.json").read_text())["comparisons"] == 66
    manifest = json.loads((plan_dir / "manifest.json").read_text())
    assert manifest["project_dir"] == str(project.resolve())
    assert all(str(project.resolve()) in item["path"] for item in manifest["inputs"])

    done = run("eng5-runner", "--config-dir", "conf", "experiment=my_alignment_v1", cwd=project)
    assert done.returncode == 0, done.stderr
    (summary_file,) = project.glob("outputs/runs/*/*anchor-align-test*/summary.json")
    summary = json.loads(summary_file.read_text())
    assert summary["status"] == "complete" and summary["experiment_name"] == "my_alignment_v1"
    report = (summary_file.parent / "report.md").read_text()
    assert "Compare Essay A and Essay B on the two criteria below" in report  # prompts/rubric.md


def test_scaffold_never_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "p"
    (project / "prompts").mkdir(parents=True)
    (project / "prompts" / "rubric.md").write_text("mine\n")
    with pytest.raises(SystemExit) as info:
        init_main([str(project)])
    assert info.value.code == 2
    assert "rubric.md already exists" in capsys.readouterr().err
    assert (project / "prompts" / "rubric.md").read_text() == "mine\n"
    assert len(planned_files(project)) > 20 and not (project / "README.md").exists()


def test_toml_experiment_in_a_user_folder_from_another_directory(tmp_path: Path) -> None:
    """Relative paths in the experiment resolve against the project folder, not the cwd."""
    study = tmp_path / "study"
    (study / "conf" / "experiment").mkdir(parents=True)
    (study / "prompts").mkdir()
    (study / "prompts" / "terse.md").write_text("Pick the better essay. Be terse.\n")
    (study / "conf" / "experiment" / "terse_v1.toml").write_text(
        "# @package _global_\n"
        'defaults = [{ "override /mode" = "anchor-align-test" }]\n'
        'experiment_name = "terse_v1"\n'
        "[system_prompt]\n"
        'file = "prompts/terse.md"\n'
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    conf = ("--config-dir", str(study / "conf"), "experiment=terse_v1")
    out = run(*runner_command(*conf), cwd=elsewhere)
    assert out.returncode == 0, out.stderr
    run_dir = _only_run_dir(elsewhere)  # outputs go to the current directory
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["experiment_name"] == "terse_v1" and summary["system_prompt"] == "terse"
    missing = run(
        *runner_command(*conf, "system_prompt.file=prompts/nope.md", "mode=plan"), cwd=elsewhere
    )
    assert missing.returncode == 2
    assert f"system_prompt.file={study}/prompts/nope.md: file not found" in missing.stderr
