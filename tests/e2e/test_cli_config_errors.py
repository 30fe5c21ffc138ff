"""The installed command on config and input mistakes: one line, exit 2, no run directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.test_cli import run_cli

pytestmark = pytest.mark.slow


def test_key_typo_is_one_line_exit_2_and_leaves_no_run_dir(tmp_path: Path) -> None:
    out = run_cli("judge.temprature=0.1", f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.splitlines() == [
        "error: judge.temprature: unknown key — did you mean judge.temperature?"
    ]
    assert not (tmp_path / "run").exists() and not (tmp_path / "outputs").exists()


def test_added_key_typo_caught_by_validation_also_leaves_no_run_dir(tmp_path: Path) -> None:
    out = run_cli("+judge.max_token=5", f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.splitlines() == [
        "error: judge.max_token: unknown key — did you mean judge.max_tokens?"
    ]
    assert not (tmp_path / "run").exists()


def test_mode_values_are_case_insensitive(tmp_path: Path) -> None:
    out = run_cli("mode=Dry-Run", "cache=off", f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["mode"] == "dry-run"


def test_plan_is_an_inventory_check_of_a_swedish_folder(tmp_path: Path) -> None:
    anchors = tmp_path / "uppsatser"
    anchors.mkdir()
    for i, name in enumerate(["Åsa_Öberg.txt", "Pär.txt", "Li.txt"]):
        (anchors / name).write_text(f"Mobiles help pupils learn, essay {i}.", encoding="utf-8")
    (anchors / "gammal.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    grades = tmp_path / "betyg.csv"
    grades.write_bytes("Fil;Betyg\nÅsa_Öberg.txt;B\nPär.txt;C+\nLi.txt;A\n".encode("cp1252"))
    args = (
        f"dataset.anchors_dir={anchors}",
        f"dataset.grades_file={grades}",
        "dataset.assignment_file=null",
        "dataset.students_dir=null",
    )
    out = run_cli(*args, f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Grades file: betyg.csv (CSV, semicolon-separated, cp1252, 3 rows)" in out.stdout
    assert "warning: 1 file(s) skipped" in out.stdout and "gammal.doc" in out.stdout
    plan = json.loads((tmp_path / "run" / "plan.json").read_text())
    files = {Path(f["file"]).name: f for f in plan["inventory"]["files"]}
    assert files["Pär.txt"]["grade"] == "C+" and files["Pär.txt"]["method"] == "text (utf-8)"
    assert files["gammal.doc"]["status"] == "skipped"

    grades.write_bytes("Fil;Betyg\nÅsa_Öberg.txt;B\nPär.txt;C+\nBorta.txt;E-\n".encode("cp1252"))
    out = run_cli(*args, f"hydra.run.dir={tmp_path}/run2", cwd=tmp_path)
    assert out.returncode == 2
    assert "Inventory (4 files)" in out.stdout  # the whole table, before the error
    assert out.stderr.splitlines() == [
        f"error: {anchors / 'Li.txt'}: not in the grades file {grades} — add a row for 'Li.txt' "
        "with its grade, or move the file out of the anchors directory (1 more input "
        "problem(s): listed above)"
    ]
    assert "row 4 'Borta.txt'" in out.stdout
    assert not (tmp_path / "run2").exists()


def test_a_failing_sweep_launcher_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    out = run_cli("-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=0", cwd=tmp_path)
    assert out.returncode == 1
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert errors and "sweep launcher failed (ValueError: n_jobs == 0" in errors[0]
    assert "Traceback" not in out.stderr + out.stdout
