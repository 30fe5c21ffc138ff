"""PLAN prints and writes what a run would do, offline."""

from __future__ import annotations

import json
import socket

import pytest

from eng5_runner.handlers.plan import PlanHandler
from eng5_runner.inputs.inventory import RunnerInventory
from eng5_runner.output.paths import RunnerPaths
from tests.conftest import NetworkUsed


def test_no_network_fixture_really_blocks(no_network: None) -> None:
    with pytest.raises(NetworkUsed):
        socket.create_connection(("127.0.0.1", 9))


def test_plan_writes_plan_json_offline(
    no_network: None, settings_factory, sample_inventory: RunnerInventory, run_paths: RunnerPaths
) -> None:
    settings = settings_factory("judge=openai")
    assert PlanHandler().execute(settings, sample_inventory, run_paths) == 0
    plan = json.loads(run_paths.plan.read_text())
    assert plan["comparisons"] == 66
    assert plan["planned_mode"] == "anchor-align-test"
    assert plan["estimate"]["cost_usd"] > 0
    assert any("OPENAI_API_KEY is not set" in w for w in plan["warnings"])
    assert len(plan["dataset"]["anchors"]) == 12


def test_plan_of_a_boundary_set_counts_both_orders(
    settings_factory, sample_inventory: RunnerInventory, run_paths: RunnerPaths
) -> None:
    settings = settings_factory("boundary=sample", "boundary.iterations=3")
    PlanHandler().execute(settings, sample_inventory, run_paths)
    plan = json.loads(run_paths.plan.read_text())
    assert plan["planned_mode"] == "boundary-test"
    assert plan["comparisons"] == 2 * 3 * 2


def test_balanced_pairing_budget(
    settings_factory, sample_inventory: RunnerInventory, run_paths: RunnerPaths
) -> None:
    settings = settings_factory("pairing=balanced", "pairing.comparisons_per_essay=4")
    PlanHandler().execute(settings, sample_inventory, run_paths)
    assert json.loads(run_paths.plan.read_text())["comparisons"] == 12 * 4 // 2
