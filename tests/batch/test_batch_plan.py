"""The plan compares synchronous and batch cost and turnaround."""

from __future__ import annotations

import pytest

from eng5_runner.handlers.plan import build_plan
from eng5_runner.handlers.steps.batch_estimate import batch_line


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_plan_shows_sync_and_batch_cost(settings_factory, sample_inventory, provider):
    settings = settings_factory(f"judge={provider}", "judge.batch=true")
    plan = build_plan(settings, sample_inventory)
    batch = plan["batch"]
    assert batch["selected"] is True
    assert batch["sync_cost_usd"] == plan["estimate"]["cost_usd"]
    assert batch["batch_cost_usd"] == pytest.approx(batch["sync_cost_usd"] / 2, rel=1e-3)
    assert batch["savings_usd"] == pytest.approx(batch["sync_cost_usd"] / 2, rel=1e-3)
    assert batch["batches"] == 1
    line = batch_line(batch)
    assert "Batch [selected]" in line and "24 h" in line


def test_plan_batch_count_follows_batch_max_requests(settings_factory, sample_inventory):
    settings = settings_factory("judge=openai", "judge.batch_max_requests=10")
    plan = build_plan(settings, sample_inventory)
    assert plan["batch"]["batches"] == -(-plan["comparisons"] // 10)
    assert plan["batch"]["selected"] is False
    assert "Synchronous [selected]" in batch_line(plan["batch"])


def test_simulated_judge_has_no_batch_line(settings_factory, sample_inventory):
    assert build_plan(settings_factory(), sample_inventory)["batch"] is None


@pytest.mark.parametrize("option", ["openai_batch", "anthropic_batch"])
def test_batch_judge_options(settings_factory, option):
    judge = settings_factory(f"judge={option}").judge
    assert judge.provider == option.removesuffix("_batch")
    assert (judge.batch, judge.batch_fallback) == (True, "sync")


def test_plan_warns_when_batch_mode_cannot_work(settings_factory, sample_inventory):
    from eng5_runner.handlers.plan import plan_warnings

    warned = plan_warnings(
        settings_factory("judge=openai", "judge.batch=true", "cache=off"), sample_inventory
    )
    assert any("cache=read_write" in w for w in warned)
    compatible = settings_factory("judge=openai_compatible", "judge.batch=true")
    assert any("openai or anthropic" in w for w in plan_warnings(compatible, sample_inventory))
