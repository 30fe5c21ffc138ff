"""Artefact: built from results, validated against the published schema, written atomically."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from eng5_runner.engine.records import PairRequest
from eng5_runner.errors import ArtefactError
from eng5_runner.reports.alignment import build_alignment
from eng5_runner.reports.artefact import (
    SCHEMA_VERSION,
    artefact_checksum,
    build_artefact,
    load_schema,
    validate_artefact,
    verify_checksum,
    write_artefact,
)
from eng5_runner.reports.boundary import build_boundary
from eng5_runner.reports.context import ReportContext
from eng5_runner.settings.models import ReportTargets, RunnerMode
from tests.reports.builders import essay, settings
from tests.reports.test_report_alignment import ANCHORS, small_case
from tests.reports.test_report_boundary import PAIRS, records

REPO = Path(__file__).resolve().parents[2]
STUDENT = essay("student_1", None, role="student")


def alignment_artefact() -> dict[str, Any]:
    recs = small_case().records
    ctx = ReportContext.from_settings(
        settings(),
        run_signature="abc123def456",
        git_sha="0123456789abcdef0123456789abcdef01234567",
        records=recs,
        overrides=("judge=simulated",),
    )
    result = build_alignment(
        recs, ANCHORS, grade_scale="eng5_np_legacy_9_step", targets=ReportTargets()
    )
    return build_artefact(
        ctx=ctx,
        records=recs,
        essays=(*ANCHORS, STUDENT),
        mode_result=result,
        status="complete",
        cj_published_scores=[{"essay_id": "x", "bt_score": 0.1}],
    )


def test_schema_copies_are_identical_and_valid() -> None:
    packaged = REPO / "eng5_runner" / "schemas" / "artefact.schema.json"
    published = REPO / "docs" / "artefact.schema.json"
    assert packaged.read_bytes() == published.read_bytes()
    Draft202012Validator.check_schema(load_schema())
    assert load_schema() == json.loads(published.read_text(encoding="utf-8"))


def test_alignment_artefact_layout() -> None:
    data = alignment_artefact()
    validate_artefact(data)
    assert data["schema_version"] == SCHEMA_VERSION == "3.0.0"
    assert data["metadata"]["mode"] == "anchor-align-test"
    assert data["metadata"]["simulated"] is True and data["metadata"]["git_sha"].startswith("0123")
    assert [a["label"] for a in data["inputs"]["anchors"]] == ["P", "Q", "R", "S"]
    assert data["inputs"]["students"][0]["grade"] is None
    assert data["inputs"]["anchors"][0]["words"] == 20
    assert len(data["comparisons"]) == 9 and "requests" not in data
    assert [row["rank"] for row in data["bt_summary"]] == [1, 2, 3, 4]
    assert data["metrics"]["direct_inversions"] == 1 and data["metrics"]["tau_upstream"] == 1.0
    assert {t["name"] for t in data["targets"]} >= {"direct_inversions", "ab_regression"}
    assert data["analysis"]["kind"] == "anchor_alignment"
    assert data["costs"]["total_usd"] == pytest.approx(0.008)
    assert data["costs"]["token_counts"] == [
        {
            "provider": "simulated",
            "model": "sim-1",
            "comparisons": 9,
            "prompt_tokens": 800,
            "completion_tokens": 80,
            "usd": 0.008,
            "cached_input_tokens": 0,
            "cache_write_tokens": 0,
            "reasoning_tokens": 0,
            "cost_known": True,
        }
    ]
    assert data["runner_status"]["observed"] == {
        "comparisons": 9,
        "succeeded": 8,
        "failed": 1,
        "cached": 0,
        "requested": None,
    }
    assert data["cj_published_scores"][0]["essay_id"] == "x"
    assert verify_checksum(data)


def test_checksum_procedure_is_the_documented_one() -> None:
    data = alignment_artefact()
    blank = copy.deepcopy(data)
    blank["validation"]["artefact_checksum"] = ""
    canonical = json.dumps(
        blank, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")
    import hashlib

    assert data["validation"]["artefact_checksum"] == hashlib.sha256(canonical).hexdigest()
    assert artefact_checksum(data) == data["validation"]["artefact_checksum"]
    data["metadata"]["batch_label"] = "tampered"
    assert not verify_checksum(data)
    with pytest.raises(ArtefactError, match="/validation/artefact_checksum"):
        validate_artefact(data)


def test_boundary_and_stub_artefacts_validate() -> None:
    recs = records().records
    ctx = ReportContext.from_settings(
        settings(RunnerMode.BOUNDARY_TEST), run_signature="s1", git_sha=None, records=recs
    )
    result = build_boundary(recs, PAIRS, targets=ReportTargets())
    data = build_artefact(
        ctx=ctx,
        records=recs,
        essays=[e for p in PAIRS for e in p],
        mode_result=result,
        status="partial",
    )
    validate_artefact(data)
    assert data["metrics"]["pooled_win_rate"] == pytest.approx(5 / 6)
    assert data["runner_status"]["partial_data"] is True and data["bt_summary"] == []
    stub_ctx = ReportContext.from_settings(
        settings(RunnerMode.DRY_RUN), run_signature="s2", git_sha=None
    )
    requests = [
        PairRequest(comparison_id="c00000", a_id=ANCHORS[0].essay_id, b_id=ANCHORS[1].essay_id)
    ]
    stub = build_artefact(
        ctx=stub_ctx,
        records=[],
        essays=ANCHORS,
        mode_result=None,
        status="stub",
        requests=requests,
        extra={"note": "dry run"},
    )
    validate_artefact(stub)
    assert stub["requests"][0]["a_id"] == ANCHORS[0].essay_id and stub["analysis"] is None
    assert stub["runner_status"]["observed"]["requested"] == 1
    del stub["requests"]
    with pytest.raises(ArtefactError):
        validate_artefact(stub)


@pytest.mark.parametrize(
    ("path", "value", "pointer"),
    [
        (("metadata", "mode"), "bogus", "/metadata/mode"),
        (("metadata", "git_sha"), "UNKNOWN", "/metadata/git_sha"),
        (("comparisons", 0, "status"), "maybe", "/comparisons/0/status"),
        (("metrics", "tau_b"), float("nan"), "/metrics/tau_b"),
        (("bt_summary", 1, "theta"), float("inf"), "/bt_summary/1/theta"),
    ],
)
def test_invalid_artefact_names_the_pointer(
    path: tuple[Any, ...], value: object, pointer: str
) -> None:
    data = alignment_artefact()
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ArtefactError, match=pointer):
        validate_artefact(data)


def test_missing_section_is_reported() -> None:
    data = alignment_artefact()
    del data["costs"]
    with pytest.raises(ArtefactError, match="'costs' is a required property"):
        validate_artefact(data)


def test_write_artefact_reseals_and_writes_atomically(tmp_path: Path) -> None:
    data = alignment_artefact()
    data["metadata"]["batch_label"] = "changed after build"
    path = write_artefact(tmp_path / "artefact.json", data)
    written = json.loads(path.read_text(encoding="utf-8"))
    assert written["metadata"]["batch_label"] == "changed after build"
    assert verify_checksum(written)
    validate_artefact(written)


def test_invalid_artefact_is_never_written(tmp_path: Path) -> None:
    target = tmp_path / "artefact.json"
    target.write_text("old\n", encoding="utf-8")
    data = alignment_artefact()
    data["status"] = "finished"
    with pytest.raises(ArtefactError, match="/status"):
        write_artefact(target, data)
    assert target.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["artefact.json"]
