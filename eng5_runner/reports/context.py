"""Provenance of a report (:class:`ReportContext`) and the parts every report shares.

The shared parts are small frozen models built from the judgement records:
counts, failed judgements, proportions with Wilson intervals, and target
checks. Numbers that are undefined (no data, zero variance) are ``None``,
never nan or inf, so every model serialises to strict JSON.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, field_validator

from eng5_runner import __version__
from eng5_runner.engine.records import JudgementRecord
from eng5_runner.output.provenance import utc_now
from eng5_runner.settings.simulation import simulated_variant_notes
from eng5_runner.stats import binomial_test_p, wilson_interval

if TYPE_CHECKING:
    from eng5_runner.inputs.inventory import RunnerInventory
    from eng5_runner.settings.models import PromptSettings, RunnerSettings

_SHA_RE = re.compile(r"^[0-9a-f]{7,40}$")


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def finite(value: float | None) -> float | None:
    """``value`` as a float, or None when it is missing, nan or infinite."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


class PromptInfo(Frozen):
    """A prompt as sent to the judge: config name, text and its sha256."""

    name: str
    text: str | None = None
    sha256: str | None = None

    @classmethod
    def of(cls, name: str, text: str | None) -> PromptInfo:
        digest = hashlib.sha256(text.encode()).hexdigest() if text is not None else None
        return cls(name=name, text=text, sha256=digest)


class ReportContext(Frozen):
    """Who, what and how of a run: everything a report states besides its numbers."""

    batch_label: str
    mode: str
    run_signature: str
    git_sha: str | None = None
    """Full or abbreviated lowercase hex SHA; None outside a git checkout (never a placeholder)."""
    created_at: str
    runner_version: str = __version__
    backend: str = "local"
    batch_uuid: str | None = None
    judge_provider: str
    judge_model: str
    models_observed: tuple[str, ...] = ()
    """``provider/model`` as the provider resolved it, from the records."""
    generation_params: dict[str, Any] = {}
    simulated: bool = False
    dataset: str = "custom"
    grade_scale: str = "eng5_np_legacy_9_step"
    system_prompt: PromptInfo
    rubric: PromptInfo
    assignment_included: bool = False
    assignment_name: str | None = None
    assignment_sha256: str | None = None
    cache_hits: int = 0
    new_calls: int = 0
    experiment_name: str | None = None
    overrides: tuple[str, ...] = ()
    partial_data: bool = False
    warnings: tuple[str, ...] = ()
    status: Literal["complete", "partial", "failed"] = "complete"
    status_banner: tuple[str, ...] = ()
    """Lines of the run-status banner (empty for a complete run)."""
    simulated_variant: tuple[str, ...] = ()
    """Simulation only: the prompt options' ``simulated:`` blocks the simulated judge used."""

    @field_validator("git_sha")
    @classmethod
    def _hex_sha(cls, value: str | None) -> str | None:
        if value is None:
            return None
        sha = value.strip().lower()
        if not _SHA_RE.match(sha):
            raise ValueError(f"git_sha must be 7-40 hex characters or None, got {value!r}")
        return sha

    def with_warnings(self, *more: str) -> ReportContext:
        """A copy with ``more`` warnings appended."""
        return self.model_copy(update={"warnings": self.warnings + tuple(more)})

    @classmethod
    def from_settings(
        cls,
        settings: RunnerSettings,
        *,
        run_signature: str,
        git_sha: str | None,
        records: Sequence[JudgementRecord] = (),
        overrides: Sequence[str] = (),
        inventory: RunnerInventory | None = None,
        system_prompt_text: str | None = None,
        rubric_text: str | None = None,
        partial_data: bool = False,
        warnings: Sequence[str] = (),
        batch_uuid: str | None = None,
        created_at: str | None = None,
    ) -> ReportContext:
        """Build the context; prompt texts default to the settings' file or inline text."""
        dataset = settings.dataset
        assignment = inventory.assignment if inventory is not None else None
        if inventory is not None:
            included = dataset.include_assignment and inventory.assignment_text is not None
        else:
            included = dataset.include_assignment and dataset.assignment_file is not None
        assignment_path = assignment.path if assignment else dataset.assignment_file
        hits = sum(1 for record in records if record.cached)
        return cls(
            batch_label=settings.batch_label,
            mode=settings.mode.value,
            run_signature=run_signature,
            git_sha=git_sha,
            created_at=created_at or utc_now(),
            backend=settings.backend.kind,
            batch_uuid=batch_uuid,
            judge_provider=settings.judge.provider,
            judge_model=settings.judge.model,
            models_observed=tuple(sorted({f"{r.provider}/{r.model}" for r in records})),
            generation_params=dict(settings.judge.generation_params),
            simulated=settings.judge.provider == "simulated" and settings.backend.kind == "local",
            dataset=dataset.name,
            grade_scale=dataset.grade_scale,
            system_prompt=PromptInfo.of(
                settings.system_prompt.name,
                _prompt_text(settings.system_prompt, system_prompt_text, "system_prompt"),
            ),
            rubric=PromptInfo.of(
                settings.rubric.name, _prompt_text(settings.rubric, rubric_text, "rubric")
            ),
            assignment_included=included,
            assignment_name=assignment_path.name if assignment_path else None,
            assignment_sha256=assignment.sha256 if assignment else None,
            cache_hits=hits,
            new_calls=len(records) - hits,
            experiment_name=settings.experiment_name,
            overrides=tuple(overrides),
            partial_data=partial_data,
            warnings=tuple(warnings),
            simulated_variant=simulated_variant_notes(settings),
        )


def _prompt_text(prompt: PromptSettings, explicit: str | None, key: str) -> str:
    """The text as the judge got it (``explicit`` when the caller knows it)."""
    from eng5_runner.settings.compose import prompt_text

    return explicit if explicit is not None else prompt_text(prompt, key)


# --------------------------------------------------------------------------- records


class Outcome(NamedTuple):
    """The decided result of one successful comparison."""

    winner_id: str
    loser_id: str
    slot_a_won: bool


def outcome(record: JudgementRecord) -> Outcome | None:
    """Winner, loser and slot of a successful record; None for failed or undecided ones."""
    if not record.succeeded:
        return None
    a, b = record.essay_a_id, record.essay_b_id
    winner = record.winner_id
    if winner is None and record.winner is not None:
        winner = a if record.winner == "A" else b
    if winner not in (a, b) or a == b:
        return None
    return Outcome(winner, b if winner == a else a, winner == a)


class RecordCounts(Frozen):
    """How many judgements there were and what they cost (failures included)."""

    total: int = 0
    successful: int = 0
    failed: int = 0
    cached: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    """What every judgement cost when it was made (cached ones included)."""
    new_cost_usd: float = 0.0
    """What this run spent: judgements not served from the store."""
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    cost_known: bool = True
    """False when a judged model has no price: costs then read "price unknown"."""
    cache_saved_usd: float = 0.0
    """What the provider's prompt cache saved, against uncached input prices."""

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def cache_hit_rate(self) -> float | None:
        """Share of input tokens read from the provider's prompt cache."""
        return self.cached_input_tokens / self.prompt_tokens if self.prompt_tokens else None

    def cost_text(self) -> str:
        """``tokens / $cost ($spent by this run)``, or "price unknown"."""
        if not self.cost_known:
            return f"{self.tokens:,} / price unknown"
        return f"{self.tokens:,} / ${self.cost_usd:.4f} (${self.new_cost_usd:.4f})"

    def cache_text(self) -> str:
        """Prompt-cache hit rate and the money it saved."""
        rate = self.cache_hit_rate
        if rate is None:
            return "—"
        saved = f"${self.cache_saved_usd:.4f}" if self.cost_known else "price unknown"
        return (
            f"{100 * rate:.1f}% of {self.prompt_tokens:,} input tokens; "
            f"{self.cache_write_tokens:,} written; saved {saved}"
        )


def count_records(records: Sequence[JudgementRecord]) -> RecordCounts:
    successful = sum(1 for record in records if outcome(record) is not None)
    return RecordCounts(
        total=len(records),
        successful=successful,
        failed=len(records) - successful,
        cached=sum(1 for record in records if record.cached),
        prompt_tokens=sum(record.prompt_tokens for record in records),
        completion_tokens=sum(record.completion_tokens for record in records),
        cost_usd=round(sum(record.cost_usd for record in records), 6),
        new_cost_usd=round(sum(r.cost_usd for r in records if not r.cached), 6),
        cached_input_tokens=sum(r.cached_input_tokens for r in records),
        cache_write_tokens=sum(r.cache_write_tokens for r in records),
        reasoning_tokens=sum(r.reasoning_tokens for r in records),
        cost_known=all(r.cost_known for r in records if r.succeeded),
        cache_saved_usd=round(sum(r.cache_saved_usd for r in records), 6),
    )


class FailedJudgement(Frozen):
    """A comparison that produced no usable judgement, with the essays' labels."""

    comparison_id: str
    essay_a: str
    essay_b: str
    iteration: int
    reason: str


def failed_judgements(
    records: Iterable[JudgementRecord], labels: Mapping[str, str]
) -> tuple[FailedJudgement, ...]:
    """Every record without a usable outcome; unknown ids are shown as they are."""
    return tuple(
        FailedJudgement(
            comparison_id=record.comparison_id,
            essay_a=labels.get(record.essay_a_id, record.essay_a_id),
            essay_b=labels.get(record.essay_b_id, record.essay_b_id),
            iteration=record.iteration,
            reason=record.failure_reason
            or ("succeeded without a valid winner" if record.succeeded else "unknown"),
        )
        for record in records
        if outcome(record) is None
    )


# ---------------------------------------------------------------------- statistics


class Proportion(Frozen):
    """k of n, with a Wilson 95% interval and (optionally) an exact binomial p vs 0.5."""

    k: int
    n: int
    rate: float | None = None
    low: float | None = None
    high: float | None = None
    p_value: float | None = None


def proportion(k: int, n: int, *, test_half: bool = False) -> Proportion:
    """Build a :class:`Proportion`; everything but k and n is None when n == 0."""
    if n <= 0:
        return Proportion(k=k, n=n)
    low, high = wilson_interval(k, n)
    p_value = finite(binomial_test_p(k, n)) if test_half else None
    return Proportion(k=k, n=n, rate=k / n, low=finite(low), high=finite(high), p_value=p_value)


class TargetCheck(Frozen):
    """One metric against its configured target; undefined values never pass."""

    name: str
    label: str
    value: float | None
    comparator: Literal["<=", ">="]
    threshold: float
    passed: bool
    integer: bool = False
    """A count (shown without decimals)."""
    unverified: bool = False
    """Computed on a partial or failed run: never shown as a pass (see reports.run_status)."""

    @classmethod
    def at_most(cls, name: str, label: str, value: float | None, limit: float) -> TargetCheck:
        return cls._against(name, label, value, "<=", limit)

    @classmethod
    def at_least(cls, name: str, label: str, value: float | None, limit: float) -> TargetCheck:
        return cls._against(name, label, value, ">=", limit)

    @classmethod
    def _against(
        cls,
        name: str,
        label: str,
        value: float | None,
        comparator: Literal["<=", ">="],
        limit: float,
    ) -> TargetCheck:
        """``value`` against ``limit``; a missing value never passes."""
        met = value is not None and (value <= limit if comparator == "<=" else value >= limit)
        return cls(
            name=name,
            label=label,
            value=value,
            comparator=comparator,
            threshold=limit,
            passed=met,
            integer=isinstance(limit, int),
        )
