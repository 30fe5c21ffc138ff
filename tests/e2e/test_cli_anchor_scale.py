"""The locked anchor scale from the command line: reuse, and a mismatch as one line, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.test_cli import run_cli

pytestmark = pytest.mark.slow


def test_locked_scale_reuse_and_mismatch(tmp_path: Path) -> None:
    scale = tmp_path / "scale"
    out = run_cli(
        "mode=anchor-align-test",
        "cache=off",
        "report.plots=false",
        f"hydra.run.dir={scale}",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    out = run_cli(
        "mode=execute",
        "cache=off",
        f"report.anchor_scale={scale}",
        f"hydra.run.dir={tmp_path}/x",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    records = (tmp_path / "x" / "comparisons.jsonl").read_text().splitlines()
    assert len(records) == 190 - 66
    artefact = json.loads((scale / "artefact.json").read_text())
    artefact["inputs"]["anchors"][3]["grade"] = "A"
    (scale / "artefact.json").write_text(json.dumps(artefact))
    out = run_cli(
        "mode=execute",
        "cache=off",
        f"report.anchor_scale={scale}",
        f"hydra.run.dir={tmp_path}/y",
        cwd=tmp_path,
    )
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "report.anchor_scale=" in errors[0] and "grade" in errors[0]
    assert not (tmp_path / "y" / "comparisons.jsonl").exists()
