"""HuleEdu HTTP bodies (Content Service, CJ anchors and admin API; UPSTREAM.md §3.10–3.12).

Re-exported by :mod:`eng5_runner.huleedu.contracts`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator


def _to_str(value: object) -> object:
    return str(value) if isinstance(value, int | UUID) else value


LooseStr = Annotated[str, BeforeValidator(_to_str)]


class _Outgoing(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Incoming(BaseModel):
    model_config = ConfigDict(extra="allow")


class ContentStoredResponse(_Incoming):
    """Content Service ``POST /v1/content`` → 201."""

    storage_id: str = Field(pattern=r"^[0-9a-fA-F]{32}$")
    correlation_id: LooseStr | None = None


class AnchorRegistrationRequest(_Outgoing):
    """CJ ``POST /api/v1/anchors/register`` body."""

    assignment_id: str = Field(min_length=1)
    grade: str = Field(min_length=1)
    anchor_label: str | None = None
    essay_text: str = Field(min_length=100)

    @field_validator("assignment_id", "grade")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


class AnchorRegistrationResponse(_Incoming):
    anchor_id: LooseStr
    storage_id: str
    grade_scale: str
    status: str = "registered"


class AssessmentInstructionResponse(_Incoming):
    """CJ admin: the assignment's instructions, grade scale and context origin."""

    id: LooseStr
    assignment_id: LooseStr | None = None
    course_id: LooseStr | None = None
    instructions_text: str
    grade_scale: str
    context_origin: str = "research_experiment"
    student_prompt_storage_id: str | None = None
    created_at: datetime | None = None


class AnchorReference(_Incoming):
    id: LooseStr
    assignment_id: LooseStr | None = None
    anchor_label: str | None = None
    grade: str
    grade_scale: str | None = None
    text_storage_id: str | None = None
    created_at: datetime | None = None


class AnchorSummaryResponse(_Incoming):
    """CJ admin: the anchors registered for an assignment."""

    assignment_id: LooseStr
    grade_scale: str
    anchor_count: int
    anchors: list[AnchorReference] = Field(default_factory=list)
    anchor_count_total: int | None = None
    anchor_count_by_scale: dict[str, int] = Field(default_factory=dict)
