"""Batch results as :class:`JudgementRecord` objects, like the scheduler's."""

from __future__ import annotations

from eng5_runner.engine.judges.prompt import JudgePrompt, prompt_sha256
from eng5_runner.engine.records import JudgeAnswer, JudgementRecord, PairRequest


def succeeded(
    request: PairRequest,
    key: str,
    prompt: JudgePrompt | None,
    answer: JudgeAnswer,
    *,
    batch_id: str,
    started: str,
    completed: str,
) -> JudgementRecord:
    """A judged comparison (``latency_ms`` 0: a batch has no per-request latency).

    ``prompt`` is None for a comparison of another run that shared the batch.
    """
    winner_id, loser_id = (
        (request.a_id, request.b_id) if answer.winner == "A" else (request.b_id, request.a_id)
    )
    return JudgementRecord(
        comparison_id=request.comparison_id,
        essay_a_id=request.a_id,
        essay_b_id=request.b_id,
        iteration=request.iteration,
        status="succeeded",
        winner=answer.winner,
        winner_id=winner_id,
        loser_id=loser_id,
        confidence=answer.confidence,
        justification=answer.justification,
        provider=answer.provider,
        model=answer.model,
        prompt_tokens=answer.prompt_tokens,
        completion_tokens=answer.completion_tokens,
        cost_usd=answer.cost_usd,
        started_at=started,
        completed_at=completed,
        cache_key=key,
        response_sha256=answer.response_sha256,
        prompt_sha256=prompt_sha256(prompt) if prompt is not None else None,
        request_id=answer.request_id,
        cached_input_tokens=answer.cached_input_tokens,
        cache_write_tokens=answer.cache_write_tokens,
        reasoning_tokens=answer.reasoning_tokens,
        cost_known=answer.cost_known,
        cache_saved_usd=answer.cache_saved_usd,
        batch_id=batch_id,
    )


def failed(
    request: PairRequest,
    key: str,
    reason: str,
    *,
    provider: str,
    model: str,
    batch_id: str | None,
    started: str,
    completed: str,
) -> JudgementRecord:
    """A comparison the batch could not judge, with the reason."""
    return JudgementRecord(
        comparison_id=request.comparison_id,
        essay_a_id=request.a_id,
        essay_b_id=request.b_id,
        iteration=request.iteration,
        status="failed",
        failure_reason=reason,
        provider=provider,
        model=model,
        started_at=started,
        completed_at=completed,
        cache_key=key,
        batch_id=batch_id,
    )
