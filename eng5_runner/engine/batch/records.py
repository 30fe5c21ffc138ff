"""Batch results as :class:`JudgementRecord` objects, built as the scheduler builds them."""

from __future__ import annotations

from eng5_runner.engine.judges.prompt import JudgePrompt, prompt_sha256
from eng5_runner.engine.records import (
    JudgeAnswer,
    JudgementRecord,
    PairRequest,
    answered_record,
    failed_record,
)


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
    return answered_record(
        request,
        key,
        answer,
        started=started,
        completed=completed,
        prompt_sha256=prompt_sha256(prompt) if prompt is not None else None,
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
    return failed_record(
        request,
        key,
        reason,
        provider=provider,
        model=model,
        started=started,
        completed=completed,
        batch_id=batch_id,
    )
