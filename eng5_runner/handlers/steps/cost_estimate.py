"""Token and cost estimates for plans (≈ 4 characters per token)."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from eng5_runner.engine.records import PairRequest
from eng5_runner.inputs.inventory import RunnerInventory
from eng5_runner.settings.models import RunnerSettings

CHARS_PER_TOKEN = 4
ANSWER_TOKENS = 120
PROMPT_OVERHEAD_TOKENS = 150


class CostEstimate(BaseModel):
    """Expected tokens and USD for a schedule."""

    model_config = ConfigDict(frozen=True)

    comparisons: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float


def estimate_cost(
    settings: RunnerSettings, inventory: RunnerInventory, schedule: Sequence[PairRequest]
) -> CostEstimate:
    """Estimate prompt/answer tokens and cost from text lengths and judge prices."""
    texts = {essay.essay_id: len(essay.text) for essay in inventory.essays}
    fixed = len(settings.system_prompt.text or "") + len(settings.rubric.text or "")
    if settings.dataset.include_assignment and inventory.assignment_text:
        fixed += len(inventory.assignment_text)
    prompt_chars = sum(fixed + texts[r.a_id] + texts[r.b_id] for r in schedule)
    prompt_tokens = prompt_chars // CHARS_PER_TOKEN + PROMPT_OVERHEAD_TOKENS * len(schedule)
    completion_tokens = ANSWER_TOKENS * len(schedule)
    judge = settings.judge
    cost = (
        prompt_tokens * judge.price_input_per_mtok + completion_tokens * judge.price_output_per_mtok
    ) / 1e6
    return CostEstimate(
        comparisons=len(schedule),
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cost_usd=round(cost, 6),
    )
