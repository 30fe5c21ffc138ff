"""Callbacks → JudgementRecords; CJ's published scores; pre-specified pair checks."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from eng5_runner.engine.records import PairRequest
from eng5_runner.huleedu.contracts import AssessmentResultV1, LLMComparisonResultV1
from eng5_runner.huleedu.hydrate import hydrate_callbacks, pre_specified_warnings, published_scores
from eng5_runner.huleedu.ids import CjIdMap

from .test_huleedu_contracts import load

A1, A2 = "3f2b8c1e-a1b2c3d4e5f60718", "3f2b8c1e-a0f1e2d3c4b5a6978"


def _id_map() -> CjIdMap:
    id_map = CjIdMap(batch_uuid=uuid.UUID("3f2b8c1e-9d4a-4e6b-8a7c-1b2c3d4e5f60"))
    for inv, cj in (("inv-1", A1), ("inv-2", A2)):
        id_map.to_cj[inv] = cj
        id_map.to_inventory[cj] = inv
    return id_map


def _callback(name: str, **changes: Any) -> LLMComparisonResultV1:
    data = copy.deepcopy(load(name)["data"])
    meta = changes.pop("meta", {})
    data["request_metadata"].update(meta)
    data.update(changes)
    return LLMComparisonResultV1.model_validate(data)


def test_success_and_failure_records() -> None:
    ok = _callback("comparison_result_success.json")
    failed = _callback("comparison_result_error.json")
    hydrated = hydrate_callbacks([ok, failed], _id_map())
    first, second = hydrated.records
    assert first.status == "succeeded" and first.winner == "B"
    assert (first.essay_a_id, first.essay_b_id) == ("inv-1", "inv-2")
    assert (first.winner_id, first.loser_id) == ("inv-2", "inv-1")
    assert first.provider == "openai" and first.model == "gpt-5.1-2025-11-13"  # resolved model
    assert first.prompt_tokens == 2100 and first.completion_tokens == 85
    assert first.cost_usd == 0.00347 and first.latency_ms == 1834
    assert first.request_id == "lps-queue-0001" and first.confidence == 4.0
    assert first.prompt_sha256 and len(first.prompt_sha256) == 64
    assert second.status == "failed" and second.winner is None and second.winner_id is None
    assert second.failure_reason == "EXTERNAL_SERVICE_ERROR: Provider returned 529 overloaded"
    assert [r.comparison_id for r in hydrated.records] == ["c0001", "c0002"]
    assert [r.iteration for r in hydrated.records] == [0, 1]  # same ordered pair twice


def test_provider_falls_back_to_the_callback_and_unknown_ids_are_kept() -> None:
    cb = _callback(
        "comparison_result_success.json",
        winner="Essay A",
        meta={
            "resolved_provider": None,
            "resolved_model": None,
            "essay_b_id": "ANCHOR_9_ABCDEF12",
            "prompt_sha256": "bad",
        },
    )
    hydrated = hydrate_callbacks([cb], _id_map())
    record = hydrated.records[0]
    assert (record.provider, record.model) == ("openai", "gpt-5.1")
    assert record.winner_id == "inv-1" and record.loser_id == "ANCHOR_9_ABCDEF12"
    assert record.prompt_sha256 is None
    assert hydrated.unknown_cj_ids == {"ANCHOR_9_ABCDEF12"}


def test_schedule_slots_are_filled_in_order() -> None:
    schedule = [
        PairRequest(comparison_id="b0001", a_id="inv-1", b_id="inv-2"),
        PairRequest(comparison_id="b0002", a_id="inv-2", b_id="inv-1"),
        PairRequest(comparison_id="b0003", a_id="inv-1", b_id="inv-2", iteration=1),
    ]
    forward = [_callback("comparison_result_success.json", request_id=f"r{i}") for i in (1, 2)]
    backward = _callback(
        "comparison_result_success.json", request_id="r3", meta={"essay_a_id": A2, "essay_b_id": A1}
    )
    hydrated = hydrate_callbacks([forward[0], backward, forward[1]], _id_map(), schedule=schedule)
    assert [(r.comparison_id, r.iteration) for r in hydrated.records] == [
        ("b0001", 0),
        ("b0002", 0),
        ("b0003", 1),
    ]
    assert hydrated.unscheduled == 0
    assert pre_specified_warnings(schedule, hydrated.records, completed=True) == []


def test_ignored_pre_specified_is_reported() -> None:
    schedule = [PairRequest(comparison_id=f"b{i}", a_id="inv-1", b_id="inv-2") for i in range(4)]
    swapped = [
        _callback(
            "comparison_result_success.json",
            request_id=f"r{i}",
            meta={"essay_a_id": A2, "essay_b_id": A1},
        )
        for i in range(2)
    ]
    hydrated = hydrate_callbacks(swapped, _id_map(), schedule=schedule)
    assert hydrated.unscheduled == 2
    assert [r.comparison_id for r in hydrated.records] == ["u0001", "u0002"]
    warnings = pre_specified_warnings(schedule, hydrated.records, completed=True)
    assert "did not follow pre_specified_comparisons" in warnings[0]
    assert "2 with A/B swapped" in warnings[0]
    assert "4 of 4 requested comparison(s) never came back" in warnings[1]


def test_published_scores_map_back_to_inventory() -> None:
    result = AssessmentResultV1.model_validate(load("assessment_result.json")["data"])
    scores = published_scores(result, _id_map())
    assert scores is not None and scores.cj_assessment_job_id == "108"
    assert [(s.essay_id, s.rank, s.bt_score) for s in scores.scores] == [
        ("inv-2", 1, 0.41),
        ("inv-1", 2, -0.41),
    ]
    assert published_scores(None, _id_map()) is None
