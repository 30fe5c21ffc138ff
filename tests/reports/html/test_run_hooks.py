"""Every judging mode writes report.html and prints its path; sweeps write sweep_summary.html."""

from __future__ import annotations

import json

import pytest

from eng5_runner.handlers.anchor_align import AnchorAlignHandler
from eng5_runner.handlers.boundary import BoundaryTestHandler
from eng5_runner.handlers.execute import ExecuteHandler
from eng5_runner.inputs.inventory import RunnerInventory
from eng5_runner.output.paths import RunnerPaths


def test_anchor_align_writes_report_html_and_prints_its_path(
    settings_factory,
    sample_inventory: RunnerInventory,
    run_paths: RunnerPaths,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = settings_factory("experiment=quickstart")
    assert AnchorAlignHandler().execute(settings, sample_inventory, run_paths) == 0
    page = run_paths.run_dir / "report.html"
    out = capsys.readouterr().out
    assert "HTML report:" in out and str(page) in out.replace("\n", "")
    html = page.read_text(encoding="utf-8")
    summary = json.loads(run_paths.summary.read_text())
    assert f'data-metric="tau_b" data-value="{summary["metrics"]["tau_b"]}"' in html
    # the essays' own texts are in the page for the drill-down
    anchor = sample_inventory.anchors[0]
    assert json.dumps(anchor.text[:30])[1:-1] in html
    # the psychometrics section shows the artefact's split-half reliability
    artefact = json.loads(run_paths.artefact.read_text())
    split_half = artefact["psychometrics"]["split_half_reliability"]
    assert 'id="psychometrics"' in html and f"Split-half reliability {split_half:.2f}" in html


def test_boundary_and_execute_write_report_html(
    settings_factory, sample_inventory: RunnerInventory, tmp_path
) -> None:
    boundary = RunnerPaths(tmp_path / "boundary").ensure()
    settings = settings_factory("mode=boundary-test", "boundary=sample", "boundary.iterations=2")
    inventory = RunnerInventory.load(settings.dataset, settings.mode)
    assert BoundaryTestHandler().execute(settings, inventory, boundary) == 0
    assert 'id="order-effect"' in (boundary.run_dir / "report.html").read_text()
    execute = RunnerPaths(tmp_path / "execute").ensure()
    settings = settings_factory("mode=execute", "judge=simulated")
    inventory = RunnerInventory.load(settings.dataset, settings.mode)
    assert ExecuteHandler().execute(settings, inventory, execute) == 0
    html = (execute.run_dir / "report.html").read_text()
    assert 'id="student-table"' in html and 'id="placement-strip"' in html
