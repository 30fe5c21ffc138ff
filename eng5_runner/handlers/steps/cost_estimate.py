"""Token and cost estimates for plans (≈ 4 characters per token).

The static prefix (system prompt, task, rubric) is the same in every
comparison; when it is long enough for the provider's prompt cache (1024
tokens) and ``judge.prompt_caching`` is on, ``judge.expected_cache_hit_rate``
of it is priced as cache reads (and, for Anthropic, the misses as cache
writes). Reasoning models add ``judge.expected_reasoning_tokens`` per answer
(default by ``reasoning_effort``; Anthropic: the thinking budget). Prices
come from :class:`eng5_runner.engine.pricing.Pricer`; an unknown price gives
``cost_usd = None`` ("price unknown"), never a guess.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from eng5_runner.engine.judges.model_params import is_openai_reasoning_model
from eng5_runner.engine.pricing import Pricer, TokenUsage
from eng5_runner.engine.records import PairRequest
from eng5_runner.inputs.inventory import RunnerInventory
from eng5_runner.settings.models import JudgeSettings, RunnerSettings

CHARS_PER_TOKEN = 4
ANSWER_TOKENS = 120
PROMPT_OVERHEAD_TOKENS = 150
CACHE_MIN_TOKENS = 1024
REASONING_TOKENS = {
    "none": 0,
    "minimal": 64,
    "low": 512,
    "medium": 1536,
    "high": 4096,
    "xhigh": 8192,
    "max": 16384,
}
"""Assumed reasoning tokens per answer by effort (override: judge.expected_reasoning_tokens)."""


class CostEstimate(BaseModel):
    """Expected tokens and USD for a schedule."""

    model_config = ConfigDict(frozen=True)

    comparisons: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None
    """None when the model has no price ("price unknown")."""
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    cache_hit_rate: float = 0.0
    """The assumed share of all prompt tokens read from the cache."""
    price_source: str | None = None


def reasoning_tokens_per_answer(judge: JudgeSettings) -> int:
    """Expected reasoning tokens in one answer (0 for non-reasoning models)."""
    if judge.expected_reasoning_tokens is not None:
        tokens = judge.expected_reasoning_tokens
    elif judge.provider == "anthropic":
        tokens = judge.thinking_budget_tokens or 0
    elif judge.provider == "openai" and is_openai_reasoning_model(judge.model):
        tokens = REASONING_TOKENS[judge.reasoning_effort or "medium"]
    else:
        tokens = 0
    return max(0, min(tokens, judge.max_tokens - ANSWER_TOKENS))


def estimate_cost(
    settings: RunnerSettings, inventory: RunnerInventory, schedule: Sequence[PairRequest]
) -> CostEstimate:
    """Estimate prompt/answer tokens and cost from text lengths and judge prices."""
    judge = settings.judge
    n = len(schedule)
    texts = {essay.essay_id: len(essay.text) for essay in inventory.essays}
    fixed = len(settings.system_prompt.text or "") + len(settings.rubric.text or "")
    if settings.dataset.include_assignment and inventory.assignment_text:
        fixed += len(inventory.assignment_text)
    prompt_chars = sum(fixed + texts[r.a_id] + texts[r.b_id] for r in schedule)
    prompt_tokens = prompt_chars // CHARS_PER_TOKEN + PROMPT_OVERHEAD_TOKENS * n
    prefix_tokens = fixed // CHARS_PER_TOKEN
    cached = written = 0
    cacheable = judge.provider in ("openai", "anthropic") and judge.prompt_caching
    if cacheable and prefix_tokens >= CACHE_MIN_TOKENS:
        cached = round(prefix_tokens * n * judge.expected_cache_hit_rate)
        if judge.provider == "anthropic":
            written = prefix_tokens * n - cached
    reasoning = reasoning_tokens_per_answer(judge) * n
    completion_tokens = ANSWER_TOKENS * n + reasoning
    prices = Pricer(judge).prices()
    usage = TokenUsage(
        input_tokens=prompt_tokens,
        cached_input_tokens=cached,
        cache_write_tokens=written,
        output_tokens=completion_tokens,
        reasoning_tokens=reasoning,
    )
    return CostEstimate(
        comparisons=n,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cost_usd=None if prices is None else round(prices.cost(usage), 6),
        cached_input_tokens=cached,
        cache_write_tokens=written,
        reasoning_tokens=reasoning,
        cache_hit_rate=round(cached / prompt_tokens, 4) if prompt_tokens else 0.0,
        price_source=None if prices is None else prices.source,
    )
