"""The committed experiment replays offline from its cassette; metrics and gate are stable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eng5_runner.errors import GateFailed
from eng5_runner.handlers.anchor_align import AnchorAlignHandler
from eng5_runner.inputs.inventory import RunnerInventory
from eng5_runner.output.paths import RunnerPaths
from tests.conftest import REPO, make_settings
from tests.helpers.cli import run_runner

CASSETTE = REPO / "eng5_runner" / "samples" / "cassettes" / "ci_replay_v1.jsonl"


def _settings(*extra: str):  # type: ignore[no-untyped-def]
    return make_settings(["experiment=ci_replay_v1", f"cache.path={CASSETTE}", *extra])


def test_replay_needs_no_key_and_no_network(no_network: None, run_paths: RunnerPaths) -> None:
    settings = _settings()
    inventory = RunnerInventory.load(settings.dataset, settings.mode)
    assert AnchorAlignHandler().execute(settings, inventory, run_paths) == 0
    records = [json.loads(line) for line in run_paths.comparisons.read_text().splitlines()]
    assert len(records) == 66 and all(r["cached"] for r in records)
    summary = json.loads(run_paths.summary.read_text())
    metrics = summary["metrics"]
    assert metrics["tau_b"] == pytest.approx(0.94599, abs=1e-4)
    assert metrics["tau_upstream"] == pytest.approx(0.96970, abs=1e-4)
    assert metrics["direct_inversions"] == 1
    assert metrics["ab_regression"] == 0
    assert metrics["zero_win_excl_bottom"] == 0
    assert summary["targets_met"] is True


def test_a_stricter_target_fails_the_gate(no_network: None, run_paths: RunnerPaths) -> None:
    settings = _settings("report.targets.direct_inversions_max=0")
    inventory = RunnerInventory.load(settings.dataset, settings.mode)
    with pytest.raises(GateFailed):
        AnchorAlignHandler().execute(settings, inventory, run_paths)


@pytest.mark.slow
def test_replay_from_the_command_line(tmp_path: Path) -> None:
    """From a directory that is not the repository: the cassette ships with the package."""
    out = run_runner("experiment=ci_replay_v1", f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "run" / "report.md").is_file()
