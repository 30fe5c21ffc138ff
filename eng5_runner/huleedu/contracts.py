"""HuleEdu wire formats as pydantic models (facts from UPSTREAM.md §3).

What we send is strict (``extra="forbid"``, field limits checked); what we
receive is tolerant (unknown fields kept, only the fields we rely on required).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar
from uuid import UUID, uuid4

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

# The HTTP bodies live in http_contracts; re-exported so callers need one import.
from eng5_runner.huleedu.http_contracts import AnchorReference as AnchorReference
from eng5_runner.huleedu.http_contracts import (
    AnchorRegistrationRequest as AnchorRegistrationRequest,
)
from eng5_runner.huleedu.http_contracts import (
    AnchorRegistrationResponse as AnchorRegistrationResponse,
)
from eng5_runner.huleedu.http_contracts import AnchorSummaryResponse as AnchorSummaryResponse
from eng5_runner.huleedu.http_contracts import (
    AssessmentInstructionResponse as AssessmentInstructionResponse,
)
from eng5_runner.huleedu.http_contracts import ContentStoredResponse as ContentStoredResponse
from eng5_runner.huleedu.http_contracts import LooseStr as LooseStr

TOPIC_CJ_REQUEST = "huleedu.els.cj_assessment.requested.v1"
TOPIC_COMPARISON_RESULT = "huleedu.llm_provider.comparison_result.v1"
TOPIC_CJ_COMPLETED = "huleedu.cj_assessment.completed.v1"
TOPIC_CJ_FAILED = "huleedu.cj_assessment.failed.v1"
TOPIC_ASSESSMENT_RESULT = "huleedu.assessment.result.published.v1"
AWAITED_TOPICS = (
    TOPIC_COMPARISON_RESULT,
    TOPIC_CJ_COMPLETED,
    TOPIC_CJ_FAILED,
    TOPIC_ASSESSMENT_RESULT,
)
ALL_TOPICS = (TOPIC_CJ_REQUEST, *AWAITED_TOPICS)

EVENT_CJ_REQUESTED = "els.cj_assessment.requested"
EVENT_CJ_COMPLETED = "cj_assessment.completed"
EVENT_CJ_FAILED = "cj_assessment.failed"
SOURCE_SERVICE = "eng5_runner"
LLM_PROVIDERS = ("anthropic", "openai", "google", "openrouter", "mock")
ESSAY_ID_MAX = 36


def _utcnow() -> datetime:
    return datetime.now(UTC)


class _Outgoing(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Incoming(BaseModel):
    model_config = ConfigDict(extra="allow")


DataT = TypeVar("DataT")


class EventEnvelope(BaseModel, Generic[DataT]):
    """The envelope of every Kafka message (UPSTREAM §3.2)."""

    model_config = ConfigDict(extra="allow")

    event_id: UUID = Field(default_factory=uuid4)
    event_type: str
    event_timestamp: datetime = Field(default_factory=_utcnow)
    source_service: str
    schema_version: int = 1
    correlation_id: UUID = Field(default_factory=uuid4)
    data_schema_uri: str | None = None
    data: DataT
    metadata: dict[str, Any] | None = None

    def to_bytes(self) -> bytes:
        """JSON of the envelope, UTF-8: the Kafka message value."""
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False).encode("utf-8")


# --- request (we send) -------------------------------------------------------------------


class EssayProcessingInputRefV1(_Outgoing):
    essay_id: str = Field(min_length=1, max_length=ESSAY_ID_MAX)
    text_storage_id: str = Field(min_length=1)
    spellcheck_metrics: None = None


class StorageReference(_Outgoing):
    storage_id: str = Field(min_length=1)
    path: str = ""


class StorageReferenceMetadata(_Outgoing):
    """``{"references": {"student_prompt_text": {"storage_id", "path"}}}``."""

    references: dict[str, StorageReference]


class LLMConfigOverrides(_Outgoing):
    model_override: str | None = None
    temperature_override: float | None = Field(None, ge=0.0, le=2.0)
    max_tokens_override: int | None = Field(None, gt=0)
    provider_override: Literal["anthropic", "openai", "google", "openrouter", "mock"] | None = None
    system_prompt_override: str | None = None
    judge_rubric_override: str | None = None
    reasoning_effort: Literal["none", "low", "medium", "high"] | None = None
    output_verbosity: Literal["low", "medium", "high"] | None = None


class SystemProcessingMetadata(_Outgoing):
    entity_id: str
    entity_type: Literal["batch"] = "batch"
    parent_id: str | None = None
    timestamp: datetime = Field(default_factory=_utcnow)
    processing_stage: str = "pending"
    started_at: datetime | None = None
    completed_at: datetime | None = None
    event: str = EVENT_CJ_REQUESTED
    error_info: dict[str, Any] = Field(default_factory=dict)


class PreSpecifiedComparison(_Outgoing):
    """One ordered pair CJ must judge as given (ADR-0018, proposed)."""

    essay_a_id: str = Field(min_length=1, max_length=ESSAY_ID_MAX)
    essay_b_id: str = Field(min_length=1, max_length=ESSAY_ID_MAX)

    @model_validator(mode="after")
    def _distinct(self) -> PreSpecifiedComparison:
        if self.essay_a_id == self.essay_b_id:
            raise ValueError(f"pair compares essay {self.essay_a_id} with itself")
        return self


class ELS_CJAssessmentRequestV1(_Outgoing):  # noqa: N801 - the upstream class name
    """The CJ request payload (UPSTREAM §3.3)."""

    event_name: Literal["els.cj_assessment.requested"] = "els.cj_assessment.requested"
    entity_id: str = Field(min_length=1, max_length=36)
    entity_type: Literal["batch"] = "batch"
    parent_id: str | None = None
    timestamp: datetime = Field(default_factory=_utcnow)
    system_metadata: SystemProcessingMetadata
    essays_for_cj: list[EssayProcessingInputRefV1] = Field(min_length=1)
    language: str
    course_code: str
    student_prompt_ref: StorageReferenceMetadata | None = None
    llm_config_overrides: LLMConfigOverrides | None = None
    assignment_id: str | None = Field(None, max_length=100)
    user_id: str = Field(min_length=1)
    org_id: str | None = None
    pre_specified_comparisons: list[PreSpecifiedComparison] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ELS_CJAssessmentRequestV1:
        ids = [ref.essay_id for ref in self.essays_for_cj]
        if len(set(ids)) != len(ids):
            raise ValueError("essays_for_cj has duplicate essay ids")
        if self.system_metadata.entity_id != self.entity_id:
            raise ValueError("system_metadata.entity_id differs from entity_id")
        if self.assignment_id is not None and self.student_prompt_ref is not None:
            raise ValueError("assignment-bound requests must not send student_prompt_ref")
        known = set(ids)
        for pair in self.pre_specified_comparisons or []:
            missing = {pair.essay_a_id, pair.essay_b_id} - known
            if missing:
                raise ValueError(f"pre_specified_comparisons names unknown essays {missing}")
        return self

    @model_serializer(mode="wrap")
    def _omit_unset_proposals(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("pre_specified_comparisons") is None:
            data.pop("pre_specified_comparisons", None)
        return data


# --- events (we receive) -----------------------------------------------------------------


class ErrorDetail(_Incoming):
    error_code: str
    message: str
    correlation_id: LooseStr | None = None
    timestamp: datetime | None = None
    service: str | None = None
    operation: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class TokenUsage(_Incoming):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class ComparisonRequestMetadata(_Incoming):
    """CJ's metadata echoed by the LLM Provider (plus its own additions)."""

    essay_a_id: str | None = None
    essay_b_id: str | None = None
    bos_batch_id: LooseStr | None = None
    batch_id: LooseStr | None = None
    cj_batch_id: LooseStr | None = None
    prompt_sha256: str | None = None
    resolved_provider: str | None = None
    resolved_model: str | None = None


class LLMComparisonResultV1(_Incoming):
    """One comparison callback (UPSTREAM §3.6): a winner or an error_detail."""

    request_id: LooseStr = Field(min_length=1)
    correlation_id: LooseStr | None = None
    winner: Literal["Essay A", "Essay B"] | None = None
    justification: str | None = None
    confidence: float | None = Field(None, ge=0.0, le=5.0)
    error_detail: ErrorDetail | None = None
    provider: str
    model: str
    response_time_ms: float = 0.0
    token_usage: TokenUsage = Field(default_factory=TokenUsage)
    cost_estimate: float = 0.0
    requested_at: datetime | None = None
    completed_at: datetime | None = None
    trace_id: LooseStr | None = None
    request_metadata: ComparisonRequestMetadata = Field(default_factory=ComparisonRequestMetadata)

    @model_validator(mode="after")
    def _one_outcome(self) -> LLMComparisonResultV1:
        if (self.winner is None) == (self.error_detail is None):
            raise ValueError("a callback carries exactly one of winner or error_detail")
        return self

    @property
    def is_success(self) -> bool:
        return self.error_detail is None

    @property
    def is_error(self) -> bool:
        return self.error_detail is not None


class ProcessingSummary(_Incoming):
    total_essays: int = 0
    successful: int = 0
    failed: int = 0
    successful_essay_ids: list[str] = Field(default_factory=list)
    failed_essay_ids: list[str] = Field(default_factory=list)
    processing_time_seconds: float | None = None
    single_essay_batch: bool | None = None


class CJAssessmentCompletedV1(_Incoming):
    """The thin completion event (UPSTREAM §3.7)."""

    event_name: str = EVENT_CJ_COMPLETED
    entity_id: LooseStr
    entity_type: str = "batch"
    parent_id: LooseStr | None = None
    status: str
    system_metadata: dict[str, Any] | None = None
    cj_assessment_job_id: LooseStr | None = None
    processing_summary: ProcessingSummary = Field(default_factory=ProcessingSummary)


class CJAssessmentFailedV1(_Incoming):
    """CJ's failure event; upstream gives only the topic, so every field is optional."""

    event_name: str = EVENT_CJ_FAILED
    entity_id: LooseStr | None = None
    batch_id: LooseStr | None = None
    entity_type: str | None = None
    parent_id: LooseStr | None = None
    status: str | None = None
    cj_assessment_job_id: LooseStr | None = None
    system_metadata: dict[str, Any] | None = None
    error_info: dict[str, Any] | None = None
    error_detail: ErrorDetail | None = None

    @model_validator(mode="after")
    def _names_a_batch(self) -> CJAssessmentFailedV1:
        if not (self.entity_id or self.batch_id):
            raise ValueError("failure event names no batch (entity_id / batch_id)")
        return self

    def reason(self) -> str:
        """The most specific human-readable cause the event carries."""
        if self.error_detail is not None:
            return f"{self.error_detail.error_code}: {self.error_detail.message}"
        info = self.error_info or (self.system_metadata or {}).get("error_info") or {}
        if isinstance(info, dict) and info:
            code = info.get("error_code") or info.get("code")
            message = (
                info.get("message")
                or info.get("error_message")
                or info.get("reason")
                or json.dumps(info)
            )
            return f"{code}: {message}" if code else str(message)
        return f"status={self.status or 'unknown'} (no error details in the event)"


class EssayResultV1(_Incoming):
    essay_id: str
    normalized_score: float | None = None
    letter_grade: str | None = None
    confidence_score: float | None = None
    confidence_label: str | None = None
    bt_score: float | None = None
    rank: int | None = None
    is_anchor: bool = False
    display_name: str | None = None


class AssessmentResultV1(_Incoming):
    """The rich result with CJ's published BT scores (UPSTREAM §3.8)."""

    batch_id: LooseStr
    cj_assessment_job_id: LooseStr | None = None
    assignment_id: LooseStr | None = None
    assessment_method: str = "cj_assessment"
    model_used: str | None = None
    model_provider: str | None = None
    model_version: str | None = None
    essay_results: list[EssayResultV1] = Field(default_factory=list)
    assessment_metadata: dict[str, Any] = Field(default_factory=dict)
    assessed_at: datetime | None = None
