"""Lean artefact: bounded bytes per comparison, sparse pairs, fast checks = the schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from jsonschema import Draft202012Validator

from eng5_runner.engine.pairing import balanced
from eng5_runner.errors import ArtefactError
from eng5_runner.reports.alignment import build_alignment
from eng5_runner.reports.artefact import (
    build_artefact,
    dumps_artefact,
    load_schema,
    validate_artefact,
    verify_checksum,
    write_artefact,
)
from eng5_runner.reports.artefact.items import FAST_ARRAYS, check_items
from eng5_runner.reports.baseline import compare_with_baseline, load_baseline
from eng5_runner.reports.context import ReportContext
from eng5_runner.settings.models import ReportTargets
from tests.reports.builders import Recorder, essay, settings
from tests.reports.test_report_artefact import alignment_artefact

GRADES = ["A", "B", "C+", "C-", "D+", "D-", "E+", "E-", "F+"]
V2 = Path(__file__).resolve().parents[1] / "data" / "artefact_v2"


def _artefact(n: int) -> tuple[dict[str, Any], int]:
    """A balanced design of n anchors × 10 comparisons, judged by latent quality."""
    anchors = [essay(f"a{i:05d}", GRADES[i * len(GRADES) // n]) for i in range(n)]
    by_id = {a.essay_id: a for a in anchors}
    quality = {a.essay_id: -i / n * 4 for i, a in enumerate(anchors)}
    rng = np.random.default_rng(1)
    rec = Recorder()
    for request in balanced([a.essay_id for a in anchors], per_essay=10):
        p = 1 / (1 + np.exp(quality[request.b_id] - quality[request.a_id]))
        rec.won(by_id[request.a_id], by_id[request.b_id], "A" if rng.random() < p else "B")
    result = build_alignment(
        rec.records, anchors, grade_scale="eng5_np_legacy_9_step", targets=ReportTargets()
    )
    ctx = ReportContext.from_settings(settings(), run_signature="s", git_sha=None)
    data = build_artefact(
        ctx=ctx, records=rec.records, essays=anchors, mode_result=result, status="complete"
    )
    return data, len(rec.records)


def test_bytes_per_comparison_stay_bounded_as_n_grows(tmp_path: Path) -> None:
    per_comparison = []
    for n in (40, 400, 2000):
        data, comparisons = _artefact(n)
        path = write_artefact(tmp_path / f"a{n}.json", data)
        per_comparison.append(path.stat().st_size / comparisons)
        written = json.loads(path.read_text(encoding="utf-8"))
        assert "win_matrix" not in written["analysis"]
        assert len(written["analysis"]["pair_wins"]) <= comparisons  # sparse, never n × n
        assert verify_checksum(written)
    # A dense matrix would grow per comparison like n; sparse data stays flat.
    assert per_comparison[-1] <= per_comparison[0] * 1.25, per_comparison


def test_written_artefact_parses_back_to_the_document(tmp_path: Path) -> None:
    data = alignment_artefact()
    path = write_artefact(tmp_path / "artefact.json", data)
    text = path.read_text(encoding="utf-8")
    assert json.loads(text) == data
    assert json.loads(dumps_artefact(data)) == data
    lines = text.splitlines()
    records = [line for line in lines if '"comparison_id":"c0000' in line]
    assert len(records) == len(data["comparisons"])  # one compact record a line


def test_pair_wins_are_the_dense_matrix() -> None:
    data, _ = _artefact(30)
    wins = data["analysis"]["pair_wins"]
    n = data["analysis"]["n_anchors"]
    dense = np.zeros((n, n), dtype=int)
    for i, j, k in wins:
        dense[i, j] = k
    assert dense.sum() == data["runner_status"]["observed"]["succeeded"]


@pytest.mark.parametrize(("path", "model"), list(FAST_ARRAYS.items()))
def test_fast_checks_agree_with_the_schema(path: tuple[str, ...], model: object) -> None:
    data = alignment_artefact()
    data["requests"] = [{"comparison_id": "c1", "a_id": "x", "b_id": "y", "iteration": 0}]
    data["inputs"]["students"] = list(data["inputs"]["anchors"][:1])
    target: Any = data
    for key in path:
        target = target[key]
    schema = load_schema()
    sub: dict[str, Any] = {"$defs": schema["$defs"], **_item_schema(schema, path)}
    validator = Draft202012Validator(sub)
    good = target[0]
    assert check_items(path, [good]) is None and validator.is_valid(good)
    for mutated in _mutations(good):
        assert (check_items(path, [mutated]) is None) == validator.is_valid(mutated), mutated


def _item_schema(schema: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    node: dict[str, Any] = schema
    for key in path:
        props = node.get("properties") or node["oneOf"][1]["properties"]
        node = props[key]
        if "$ref" in node:
            node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return dict(node["items"])


def _mutations(item: Any) -> list[Any]:
    """Each field dropped, nulled, set to a wrong type, a negative and an empty string."""
    if not isinstance(item, dict):
        return [item[:2], [*item[:2], 0], [-1, *item[1:]], [*item, 1], ["x", *item[1:]]]
    out: list[Any] = [{**item, "unknown_field": 1}]
    for key, value in item.items():
        out.append({k: v for k, v in item.items() if k != key})
        for bad in (None, "", -1, 1.5, True, "z" * 70, [], 6):
            if bad != value:
                out.append({**item, key: bad})
    out.append({**item, "status": "succeeded", "winner": None})
    out.append({k: v for k, v in item.items() if k != "winner"} | {"status": "succeeded"})
    return out


def test_schema_2_artefacts_still_read_validate_and_compare() -> None:
    old = load_baseline(V2)
    assert old["schema_version"].startswith("2.") and "win_matrix" in old["analysis"]
    validate_artefact(old)
    assert verify_checksum(old)
    comparison = compare_with_baseline(old, old, V2)
    assert comparison.shared_anchors == 12 and not comparison.regressions


def test_schema_3_refuses_a_dense_matrix() -> None:
    data = alignment_artefact()
    data["analysis"]["win_matrix"] = [[0]]
    with pytest.raises(ArtefactError, match="/analysis/win_matrix"):
        validate_artefact(data)
