"""Records shared by every backend: what is asked, and what the judge answered.

A run, whatever its backend, ends with a list of :class:`JudgementRecord`
written one per line to ``comparisons.jsonl``; every report is computed from
those records alone.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_JUSTIFICATION_CHARS = 2000
"""Longer judge justifications are stored cut, with :data:`TRUNCATED_MARK`."""
TRUNCATED_MARK = " … [truncated: {n} characters]"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PairRequest(_Frozen):
    """One comparison to make: essay ``a_id`` in slot A, ``b_id`` in slot B."""

    comparison_id: str
    """Stable within a run, e.g. ``c0007``; the order of the schedule."""
    a_id: str
    b_id: str
    iteration: int = 0
    """Repeat index: repeated judgements of one ordered pair differ only by this."""


class JudgeAnswer(_Frozen):
    """What a judge returned for one rendered comparison."""

    winner: Literal["A", "B"]
    confidence: float = Field(ge=1.0, le=5.0)
    justification: str
    provider: str
    model: str
    """The model as the provider resolved it (from the response, not the config)."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    response_sha256: str = ""
    cached_input_tokens: int = 0
    """Part of ``prompt_tokens`` read from the provider's prompt cache."""
    cache_write_tokens: int = 0
    """Part of ``prompt_tokens`` written to the prompt cache (Anthropic bills it extra)."""
    reasoning_tokens: int = 0
    """Part of ``completion_tokens`` spent on reasoning."""
    cost_known: bool = True
    """False when the model has no price (``cost_usd`` is then 0, not an estimate)."""
    cache_saved_usd: float = 0.0
    """What prompt caching saved against uncached input prices."""
    request_id: str | None = None


class JudgementRecord(_Frozen):
    """One comparison's outcome, successful or failed; a line of comparisons.jsonl."""

    comparison_id: str
    essay_a_id: str
    essay_b_id: str
    iteration: int = 0
    status: Literal["succeeded", "failed"]
    winner: Literal["A", "B"] | None = None
    winner_id: str | None = None
    loser_id: str | None = None
    confidence: float | None = None
    justification: str | None = None
    failure_reason: str | None = None
    provider: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    attempts: int = 1
    started_at: str | None = None
    completed_at: str | None = None
    cache_key: str = ""
    """sha256 over everything that can change the answer (see engine.store)."""
    cached: bool = False
    """True when served from the judgement store instead of the judge."""
    response_sha256: str = ""
    request_id: str | None = None
    """The provider's request id (huleedu backend: the LLM Provider's)."""
    prompt_sha256: str | None = None
    cached_input_tokens: int = 0
    """Part of ``prompt_tokens`` read from the provider's prompt cache."""
    cache_write_tokens: int = 0
    """Part of ``prompt_tokens`` written to the prompt cache."""
    reasoning_tokens: int = 0
    """Part of ``completion_tokens`` spent on reasoning."""
    cost_known: bool = True
    """False when the model has no price: ``cost_usd`` is then 0 and reports say "price unknown"."""
    cache_saved_usd: float = 0.0
    """What prompt caching saved on this judgement (USD, against uncached input)."""
    batch_id: str | None = None
    """The provider batch that judged it (``cost_usd`` at batch price); None = synchronous."""

    @field_validator("justification")
    @classmethod
    def _capped(cls, value: str | None) -> str | None:
        """Justifications longer than :data:`MAX_JUSTIFICATION_CHARS` are cut with a marker."""
        if value is None or len(value) <= MAX_JUSTIFICATION_CHARS:
            return value
        return value[:MAX_JUSTIFICATION_CHARS] + TRUNCATED_MARK.format(n=len(value))

    @field_validator("failure_reason")
    @classmethod
    def _no_secrets(cls, value: str | None) -> str | None:
        """A provider or service echoing a key never gets it into a record."""
        if not value:
            return value
        from eng5_runner.output.redact import redact

        return redact(value)

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


def answered_record(
    request: PairRequest,
    key: str,
    answer: JudgeAnswer,
    *,
    started: str,
    completed: str,
    prompt_sha256: str | None,
    latency_ms: float = 0.0,
    attempts: int = 1,
    batch_id: str | None = None,
) -> JudgementRecord:
    """The record of a judged comparison, synchronous or from a provider batch."""
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
        latency_ms=latency_ms,
        attempts=attempts,
        started_at=started,
        completed_at=completed,
        cache_key=key,
        response_sha256=answer.response_sha256,
        prompt_sha256=prompt_sha256,
        request_id=answer.request_id,
        cached_input_tokens=answer.cached_input_tokens,
        cache_write_tokens=answer.cache_write_tokens,
        reasoning_tokens=answer.reasoning_tokens,
        cost_known=answer.cost_known,
        cache_saved_usd=answer.cache_saved_usd,
        batch_id=batch_id,
    )


def failed_record(
    request: PairRequest,
    key: str,
    reason: str,
    *,
    provider: str,
    model: str,
    started: str,
    completed: str,
    prompt_sha256: str | None = None,
    latency_ms: float = 0.0,
    attempts: int = 1,
    batch_id: str | None = None,
) -> JudgementRecord:
    """The record of a comparison that could not be judged, with the reason."""
    return JudgementRecord(
        comparison_id=request.comparison_id,
        essay_a_id=request.a_id,
        essay_b_id=request.b_id,
        iteration=request.iteration,
        status="failed",
        failure_reason=reason,
        provider=provider,
        model=model,
        latency_ms=latency_ms,
        attempts=attempts,
        started_at=started,
        completed_at=completed,
        cache_key=key,
        prompt_sha256=prompt_sha256,
        batch_id=batch_id,
    )
