"""A locked anchor scale: reuse an anchor-align run's anchor judgements and fit.

``report.anchor_scale=<run dir>`` names a finished ``anchor-align-test`` run.  Its
``artefact.json`` holds the anchors (content sha256 and grade) and every judgement.  An
execute run that locks onto it must use the same anchors, by content hash and grade;
otherwise it stops before judging (InputError, exit 2, one line).  The anchors' θ, SE and
slot effect b are refitted from the stored anchor–anchor judgements with the current run's
BT settings (deterministic, so the fit is that run's fit), and the new run judges only
pairs that involve a student.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from eng5_runner.engine.records import JudgementRecord, PairRequest
from eng5_runner.errors import InputError
from eng5_runner.inputs.inventory import Essay
from eng5_runner.reports.context import Frozen, outcome

_KEY = "report.anchor_scale"


class LockedScale(Frozen):
    """The anchors' scale from an earlier run: θ, SE and b per the current BT settings."""

    run_dir: str
    anchor_ids: tuple[str, ...]
    theta: tuple[float, ...]
    se: tuple[float, ...]
    slot_effect: float | None
    slot_effect_ci95: tuple[float, float] | None
    anchor_judgements: int

    def theta_of(self) -> dict[str, tuple[float, float]]:
        return {
            essay_id: (t, s)
            for essay_id, t, s in zip(self.anchor_ids, self.theta, self.se, strict=True)
        }


def _artefact(run_dir: Path) -> dict[str, Any]:
    path = run_dir / "artefact.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"{_KEY}={run_dir}: no artefact.json there",
            hint="point it at the directory of a finished anchor-align-test run",
        ) from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{_KEY}={run_dir}: artefact.json unreadable ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{_KEY}={run_dir}: artefact.json is not a JSON object")
    mode = (data.get("metadata") or {}).get("mode")
    if mode not in (None, "anchor-align-test"):
        raise InputError(
            f"{_KEY}={run_dir}: that run is mode {mode!r}, not anchor-align-test",
            hint="lock onto the anchors of an anchor-align-test run",
        )
    return data


def check_same_anchors(data: dict[str, Any], anchors: Sequence[Essay], run_dir: Path) -> None:
    """InputError unless the run's anchors are this dataset's anchors (sha256 and grade)."""
    stored = {
        (str(a.get("sha256")), str(a.get("grade")))
        for a in (data.get("inputs") or {}).get("anchors") or []
    }
    current = {(str(e.source.sha256), str(e.grade)) for e in anchors}
    if stored == current:
        return
    missing = len(current - stored)
    extra = len(stored - current)
    raise InputError(
        f"{_KEY}={run_dir}: the anchors differ from that run's by content hash or grade "
        f"({missing} anchor(s) here are not in it, {extra} of its anchors are not here)",
        hint="use the same anchor files and grades, or drop report.anchor_scale",
    )


def anchor_records(data: dict[str, Any], anchor_ids: set[str]) -> list[JudgementRecord]:
    """The run's judgements between two of ``anchor_ids`` (as stored)."""
    records = []
    for raw in data.get("comparisons") or []:
        try:
            record = JudgementRecord.model_validate(raw)
        except ValidationError:
            continue
        if {record.essay_a_id, record.essay_b_id} <= anchor_ids:
            records.append(record)
    return records


def load_locked_scale(
    run_dir: Path,
    anchors: Sequence[Essay],
    *,
    ridge: float | None,
    position_model: Literal["none", "global"],
    outcome_kind: Literal["binary", "confidence"] = "binary",
) -> tuple[LockedScale, list[JudgementRecord]]:
    """Check the anchors, refit their scale; returns the scale and the anchor judgements."""
    from eng5_runner.reports.position import bt_inputs

    data = _artefact(run_dir)
    check_same_anchors(data, anchors, run_dir)
    ids = [e.essay_id for e in anchors]
    records = anchor_records(data, set(ids))
    usable = [r for r in records if outcome(r) is not None]
    if not usable:
        raise InputError(
            f"{_KEY}={run_dir}: that run has no successful anchor–anchor judgement",
            hint="lock onto a finished anchor-align-test run",
        )
    index = {essay_id: i for i, essay_id in enumerate(ids)}
    fit = bt_inputs(usable, index, outcome_kind).fit(
        len(ids), ridge=ridge, position_model=position_model
    )
    return (
        LockedScale(
            run_dir=str(run_dir),
            anchor_ids=tuple(ids),
            theta=tuple(float(t) for t in fit.theta),
            se=tuple(float(s) for s in fit.se),
            slot_effect=fit.slot_effect,
            slot_effect_ci95=fit.slot_effect_interval(),
            anchor_judgements=len(usable),
        ),
        records,
    )


def students_only(schedule: Sequence[PairRequest], anchor_ids: set[str]) -> list[PairRequest]:
    """The schedule without anchor–anchor pairs (the locked scale already has them)."""
    return [r for r in schedule if not {r.a_id, r.b_id} <= anchor_ids]


def check_anchor_scale_early(run_dir: Path, anchors: Sequence[Essay]) -> None:
    """Fail before any judging when the locked scale is unusable."""
    check_same_anchors(_artefact(run_dir), anchors, run_dir)
