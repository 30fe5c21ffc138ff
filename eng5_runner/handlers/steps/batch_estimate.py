"""The plan's synchronous-vs-batch comparison: cost, number of batches, turnaround.

The batch cost prices the same expected usage as :mod:`.cost_estimate` at
batch rates (:class:`eng5_runner.engine.batch.pricing.BatchPricer`). Turnaround
is what the providers document: results within the 24 h completion window,
most batches within an hour (Anthropic); the synchronous run is bounded by
``judge.requests_per_minute`` when that is set.
"""

from __future__ import annotations

import math
from typing import Any

from eng5_runner.engine.batch.pricing import BatchPricer
from eng5_runner.engine.batch.splitter import PROVIDER_LIMITS
from eng5_runner.engine.pricing import TokenUsage
from eng5_runner.handlers.steps.cost_estimate import CostEstimate
from eng5_runner.settings.models import JudgeSettings

BATCH_TURNAROUND = "usually under 1 h, at most 24 h (the completion window)"


def batch_estimate(judge: JudgeSettings, estimate: CostEstimate) -> dict[str, Any] | None:
    """Sync vs batch for a batch-capable provider, else None."""
    # the providers with batch limits; engine.batch.requests (BATCH_PROVIDERS) would
    # import both provider SDKs, seconds of start-up for every plan
    if judge.provider not in PROVIDER_LIMITS:
        return None
    usage = TokenUsage(
        input_tokens=estimate.prompt_tokens,
        cached_input_tokens=estimate.cached_input_tokens,
        cache_write_tokens=estimate.cache_write_tokens,
        output_tokens=estimate.completion_tokens,
        reasoning_tokens=estimate.reasoning_tokens,
    )
    prices = BatchPricer(judge).prices()
    batch_cost = None if prices is None else round(prices.cost(usage), 6)
    per_batch = PROVIDER_LIMITS[judge.provider].max_requests
    if judge.batch_max_requests is not None:
        per_batch = min(per_batch, judge.batch_max_requests)
    rpm = judge.requests_per_minute
    return {
        "selected": judge.batch,
        "sync_cost_usd": estimate.cost_usd,
        "batch_cost_usd": batch_cost,
        "savings_usd": None
        if batch_cost is None or estimate.cost_usd is None
        else round(estimate.cost_usd - batch_cost, 6),
        "batches": math.ceil(estimate.comparisons / per_batch) if estimate.comparisons else 0,
        "batch_turnaround": BATCH_TURNAROUND,
        "sync_turnaround_min": round(estimate.comparisons / rpm, 1) if rpm else None,
    }


def batch_line(batch: dict[str, Any]) -> str:
    """One plan line: both costs and turnarounds, the selected mode marked."""

    def usd(value: float | None) -> str:
        return "price unknown" if value is None else f"${value:.4f}"

    sync_time = (
        f"≥ {batch['sync_turnaround_min']:g} min at requests_per_minute"
        if batch["sync_turnaround_min"] is not None
        else "minutes"
    )
    mark_sync, mark_batch = ("", " [selected]") if batch["selected"] else (" [selected]", "")
    return (
        f"Synchronous{mark_sync}: {usd(batch['sync_cost_usd'])}, {sync_time}   "
        f"Batch{mark_batch} (judge.batch=true): {usd(batch['batch_cost_usd'])} in "
        f"{batch['batches']} batch(es), {batch['batch_turnaround']}"
    )


def batch_warnings(judge: JudgeSettings, cache_mode: str, local: bool) -> list[str]:
    """What would stop ``judge.batch=true`` before any batch is sent."""
    if not judge.batch:
        return []
    if not local:
        return [
            "judge.batch=true applies to backend=local only (huleedu: backend.llm_batching_mode)"
        ]
    if judge.provider not in PROVIDER_LIMITS:
        return [f"judge.batch=true needs judge.provider=openai or anthropic, not {judge.provider}"]
    if cache_mode != "read_write":
        return ["judge.batch=true needs cache=read_write (the store keeps the batch ids)"]
    return []
