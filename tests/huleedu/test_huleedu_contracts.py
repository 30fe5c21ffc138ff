"""The wire models validate every documented event and reject what breaks the contract."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from eng5_runner.huleedu.contracts import (
    TOPIC_ASSESSMENT_RESULT,
    TOPIC_CJ_COMPLETED,
    TOPIC_CJ_FAILED,
    TOPIC_CJ_REQUEST,
    TOPIC_COMPARISON_RESULT,
    AnchorRegistrationRequest,
    AnchorRegistrationResponse,
    AnchorSummaryResponse,
    AssessmentInstructionResponse,
    AssessmentResultV1,
    CJAssessmentCompletedV1,
    CJAssessmentFailedV1,
    ContentStoredResponse,
    ELS_CJAssessmentRequestV1,
    EventEnvelope,
    LLMComparisonResultV1,
    LLMConfigOverrides,
    PreSpecifiedComparison,
)

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


EVENTS: list[tuple[str, str, type[BaseModel]]] = [
    ("request_envelope_guest.json", TOPIC_CJ_REQUEST, ELS_CJAssessmentRequestV1),
    ("comparison_result_success.json", TOPIC_COMPARISON_RESULT, LLMComparisonResultV1),
    ("comparison_result_error.json", TOPIC_COMPARISON_RESULT, LLMComparisonResultV1),
    ("cj_completed.json", TOPIC_CJ_COMPLETED, CJAssessmentCompletedV1),
    ("cj_failed.json", TOPIC_CJ_FAILED, CJAssessmentFailedV1),
    ("assessment_result.json", TOPIC_ASSESSMENT_RESULT, AssessmentResultV1),
]
HTTP: list[tuple[str, type[BaseModel]]] = [
    ("content_stored.json", ContentStoredResponse),
    ("anchor_register_request.json", AnchorRegistrationRequest),
    ("anchor_register_response.json", AnchorRegistrationResponse),
    ("assessment_instructions.json", AssessmentInstructionResponse),
    ("anchor_summary.json", AnchorSummaryResponse),
]


@pytest.mark.parametrize(("name", "topic", "model"), EVENTS)
def test_event_fixtures_validate(name: str, topic: str, model: type[BaseModel]) -> None:
    raw = load(name)
    envelope = EventEnvelope[dict[str, Any]].model_validate(raw)
    assert envelope.event_type == topic
    model.model_validate(envelope.data)


@pytest.mark.parametrize(("name", "model"), HTTP)
def test_http_fixtures_validate(name: str, model: type[BaseModel]) -> None:
    model.model_validate(load(name))


def test_request_round_trips_to_the_same_json() -> None:
    raw = load("request_envelope_guest.json")
    envelope = EventEnvelope[ELS_CJAssessmentRequestV1].model_validate(raw)
    again = json.loads(envelope.to_bytes())
    assert again["data"]["essays_for_cj"] == raw["data"]["essays_for_cj"]
    assert again["data"]["llm_config_overrides"]["temperature_override"] == 0.0
    assert again["data"]["pre_specified_comparisons"] == raw["data"]["pre_specified_comparisons"]
    assert again["data"]["assignment_id"] is None  # GUEST: sent as null, not dropped


def test_request_omits_pre_specified_when_absent() -> None:
    raw = load("request_envelope_guest.json")["data"]
    raw.pop("pre_specified_comparisons")
    dumped = ELS_CJAssessmentRequestV1.model_validate(raw).model_dump(mode="json")
    assert "pre_specified_comparisons" not in dumped
    assert dumped["student_prompt_ref"]["references"]["student_prompt_text"]["path"]


def _request_with(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(load("request_envelope_guest.json")["data"])
    data.update(changes)
    return data


@pytest.mark.parametrize(
    "changes",
    [
        {"essays_for_cj": []},
        {"essays_for_cj": [{"essay_id": "x" * 37, "text_storage_id": "s"}]},
        {"essays_for_cj": [{"essay_id": "a", "text_storage_id": "s"}] * 2},
        {
            "pre_specified_comparisons": [
                {"essay_a_id": "nope", "essay_b_id": "3f2b8c1e-a1b2c3d4e5f60718"}
            ]
        },
        {"assignment_id": "6f1c2b9e-3d4a-4c5b-8e7f-0a1b2c3d4e5f"},  # + student_prompt_ref
        {"user_id": ""},
        {"unexpected": 1},
        {"entity_id": "another-batch"},
    ],
)
def test_request_rejects_contract_breaks(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ELS_CJAssessmentRequestV1.model_validate(_request_with(**changes))


def test_pre_specified_rejects_self_comparison() -> None:
    with pytest.raises(ValidationError):
        PreSpecifiedComparison(essay_a_id="a", essay_b_id="a")


@pytest.mark.parametrize(
    "override",
    [
        {"temperature_override": 2.5},
        {"max_tokens_override": 0},
        {"reasoning_effort": "minimal"},
        {"provider_override": "simulated"},
        {"output_verbosity": "loud"},
    ],
)
def test_overrides_enforce_limits(override: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        LLMConfigOverrides.model_validate(override)


def test_callback_needs_exactly_one_outcome() -> None:
    data = load("comparison_result_success.json")["data"]
    both = {**data, "error_detail": load("comparison_result_error.json")["data"]["error_detail"]}
    neither = {**data, "winner": None}
    for bad in (both, neither):
        with pytest.raises(ValidationError):
            LLMComparisonResultV1.model_validate(bad)
    ok = LLMComparisonResultV1.model_validate(data)
    assert ok.is_success and not ok.is_error
    assert ok.request_metadata.resolved_model == "gpt-5.1-2025-11-13"


def test_received_models_tolerate_unknown_fields() -> None:
    data = load("cj_completed.json")["data"] | {"new_field_from_a_later_cj": {"x": 1}}
    assert CJAssessmentCompletedV1.model_validate(data).status == "completed_successfully"
    result = load("assessment_result.json")["data"]
    result["essay_results"][0]["letter_grade"] = "7"  # national-scale grade: kept, not rejected
    assert AssessmentResultV1.model_validate(result).essay_results[0].letter_grade == "7"


def test_failed_event_reason_and_batch() -> None:
    failed = CJAssessmentFailedV1.model_validate(load("cj_failed.json")["data"])
    assert failed.reason() == "PROCESSING_ERROR: No comparisons could be completed"
    with pytest.raises(ValidationError):
        CJAssessmentFailedV1.model_validate({"status": "failed"})


def test_content_and_registration_limits() -> None:
    with pytest.raises(ValidationError):
        ContentStoredResponse.model_validate({"storage_id": "not-hex"})
    body = load("anchor_register_request.json")
    for bad in ({"essay_text": "too short"}, {"grade": "  "}, {"assignment_id": ""}):
        with pytest.raises(ValidationError):
            AnchorRegistrationRequest.model_validate(body | bad)


def test_content_error_body_is_an_error_detail() -> None:
    from eng5_runner.huleedu.contracts import ErrorDetail

    detail = ErrorDetail.model_validate(load("content_error.json")["error"])
    assert detail.error_code == "VALIDATION_ERROR" and detail.service == "content_service"
