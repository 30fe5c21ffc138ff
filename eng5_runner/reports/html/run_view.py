"""The view-model of one run's report.html, built from summary.json, the artefact and records.

Only plain dicts go in (the files a run writes), so a page can be rebuilt from a
run directory alone, and fields that other runner versions add (intervals,
baseline verdicts, statuses) are shown when they are present.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eng5_runner.inputs.grade_scales import UnknownGradeError, grade_rank
from eng5_runner.reports import markdown as md
from eng5_runner.reports.html.alignment_view import AlignmentView, build_alignment_view
from eng5_runner.reports.html.boundary_view import BoundaryView, build_boundary_view
from eng5_runner.reports.html.placement_view import PlacementView, build_placement_view
from eng5_runner.reports.html.prompts import PromptView, prompt_views
from eng5_runner.reports.html.records import (
    ESSAY_LIMIT,
    JUSTIFICATION_LIMIT,
    FailureGroup,
    Record,
    by_pair,
    clip,
    decided,
    failure_groups,
)
from eng5_runner.reports.html.tiles import FAILED_STATUSES, Tile, num
from eng5_runner.reports.palette import grade_palette

#: Metrics that count things (shown without decimals).
COUNT_METRICS = {
    "direct_inversions",
    "majority_inversions",
    "zero_win_anchors",
    "zero_win_excl_bottom",
    "ab_regression",
    "baseline_regressions",
    "students",
}
#: ``summary.baseline`` fields (METRICS.md "Uncertainty and comparing variants").
BASELINE_KEYS = (
    "run_dir",
    "matched_comparisons",
    "delta_tau_b",
    "delta_tau_b_ci95",
    "mcnemar_p",
    "discordant_b_better",
    "discordant_a_better",
    "verdict",
    "reason",
)


@dataclass(frozen=True)
class Banner:
    level: str
    """error, warning or notice."""
    title: str
    lines: tuple[str, ...]
    reasons: tuple[tuple[str, int], ...]


@dataclass
class BaselineView:
    run_dir: str | None
    signature: str | None
    verdict: Mapping[str, Any]
    """The paired comparison (``summary.baseline``) when this runner computes one."""
    deltas: list[tuple[str, str, str, str]]
    regressions: list[tuple[str, str]]
    improvements: list[tuple[str, str]]
    shared_anchors: int | None


@dataclass
class RunView:
    title: str
    mode: str
    kind: str
    status: str
    simulated: bool
    subtitle: str
    headline: str
    tone: str
    tiles: list[Tile]
    banner: Banner | None
    warnings: list[str]
    failures: list[FailureGroup]
    prompts: list[PromptView]
    provenance: list[tuple[str, str]]
    data: dict[str, Any]
    alignment: AlignmentView | None = None
    boundary: BoundaryView | None = None
    placement: PlacementView | None = None
    baseline: BaselineView | None = None
    legend: list[tuple[str, str]] = field(default_factory=list)
    psychometrics: Mapping[str, Any] | None = None
    """The artefact's ``psychometrics`` object (misfit, split-half, bias audits)."""


def _status(summary: Mapping[str, Any], artefact: Mapping[str, Any]) -> str:
    return str(summary.get("status") or artefact.get("status") or "unknown")


def _banner(
    status: str,
    summary: Mapping[str, Any],
    groups: Sequence[FailureGroup],
    total: int,
    error: Mapping[str, Any] | None,
) -> Banner | None:
    failed = sum(g.count for g in groups)
    reasons = tuple((g.reason, g.count) for g in groups[:5])
    extra = summary.get("failure_reasons")
    if isinstance(extra, Mapping) and extra:
        reasons = tuple(
            sorted(((str(k), int(v)) for k, v in extra.items()), key=lambda kv: -kv[1])[:5]
        )
    counts = f"{failed} of {total} comparisons failed" if total else "no comparisons were made"
    if status in FAILED_STATUSES or (error and error.get("error_type") != "GateFailed"):
        lines = [counts]
        if error and error.get("message"):
            lines.insert(0, str(error["message"]))
        return Banner("error", "Run failed: no result to act on", tuple(lines), reasons)
    if status == "partial":
        return Banner(
            "warning",
            "Partial data: targets cannot pass on what is missing",
            (counts + "; every metric below uses the successful ones only",),
            reasons,
        )
    if failed:
        return Banner(
            "notice",
            f"{failed} comparison(s) failed",
            (counts + "; they are left out of every metric",),
            reasons,
        )
    return None


def _provenance(artefact: Mapping[str, Any], summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    meta = artefact.get("metadata") or {}
    judge = meta.get("judge") or {}
    costs = artefact.get("costs") or {}
    observed = (artefact.get("runner_status") or {}).get("observed") or {}
    rows = [
        ("Batch label", meta.get("batch_label") or summary.get("batch_label")),
        ("Mode", meta.get("mode") or summary.get("mode")),
        ("Experiment", meta.get("experiment_name") or summary.get("experiment_name")),
        ("Overrides", " ".join(meta.get("overrides") or summary.get("overrides") or []) or None),
        ("Run signature", meta.get("run_signature") or summary.get("run_signature")),
        ("Generated", meta.get("generated_at") or summary.get("generated_at")),
        ("Runner version", meta.get("runner_version")),
        ("Git SHA", meta.get("git_sha")),
        ("Backend", meta.get("backend")),
        ("Batch UUID", meta.get("batch_uuid")),
        (
            "Judge",
            f"{judge.get('provider', summary.get('judge_provider'))} / "
            f"{judge.get('model', summary.get('judge_model'))}",
        ),
        ("Models observed", ", ".join(judge.get("models_observed") or []) or None),
        ("Generation parameters", _compact(judge.get("generation_params"))),
        ("Simulated judge", "yes" if meta.get("simulated", summary.get("simulated")) else "no"),
        ("Dataset", meta.get("dataset")),
        ("Grade scale", meta.get("grade_scale")),
        (
            "Comparisons (succeeded / failed / cached)",
            f"{observed.get('succeeded', summary.get('comparisons'))} / "
            f"{observed.get('failed', summary.get('failures'))} / {observed.get('cached', '—')}",
        ),
        ("Tokens", f"{summary.get('tokens', 0):,}"),
        (
            "Cost (USD, of which spent by this run)",
            f"${num(summary.get('cost_usd')) or 0.0:.4f} "
            f"(${num(summary.get('new_cost_usd')) or 0.0:.4f})",
        ),
        ("Artefact schema", artefact.get("schema_version")),
        ("Artefact checksum", (artefact.get("validation") or {}).get("artefact_checksum")),
    ]
    if costs.get("token_counts"):
        rows.append(("Costs by model", _compact(costs["token_counts"])))
    return [(k, str(v)) for k, v in rows if v not in (None, "", "None / None")]


def _compact(value: object) -> str | None:
    if value in (None, {}, []):
        return None
    import json

    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _baseline(artefact: Mapping[str, Any], summary: Mapping[str, Any]) -> BaselineView | None:
    verdict = summary.get("baseline")
    old = (artefact.get("extra") or {}).get("baseline")
    if not isinstance(verdict, Mapping) and not isinstance(old, Mapping):
        return None
    old = old if isinstance(old, Mapping) else {}
    given = verdict if isinstance(verdict, Mapping) else {}
    verdict = {key: given.get(key) for key in BASELINE_KEYS} if given else {}
    deltas = []
    for d in old.get("deltas") or []:
        before, now = num(d.get("baseline")), num(d.get("current"))
        delta = None if before is None or now is None else now - before
        name = str(d.get("name"))
        count = name in COUNT_METRICS
        deltas.append(
            (
                name,
                md.fmt_int(before) if count else md.fmt_num(before),
                md.fmt_int(now) if count else md.fmt_num(now),
                "—" if delta is None else (f"{delta:+.0f}" if count else f"{delta:+.3f}"),
            )
        )
    return BaselineView(
        run_dir=verdict.get("run_dir") or old.get("baseline_dir"),
        signature=old.get("baseline_signature"),
        verdict=verdict,
        deltas=deltas,
        regressions=[(str(p[0]), str(p[1])) for p in old.get("regressions") or []],
        improvements=[(str(p[0]), str(p[1])) for p in old.get("improvements") or []],
        shared_anchors=old.get("shared_anchors"),
    )


def _rank_or_none(grade: object, scale: str) -> int | None:
    if not isinstance(grade, str) or not grade:
        return None
    try:
        return grade_rank(grade, scale)
    except UnknownGradeError:
        return None


def _essays_json(
    artefact: Mapping[str, Any], texts: Mapping[str, str], scale: str
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    inputs = artefact.get("inputs") or {}
    essays: dict[str, dict[str, Any]] = {}
    labels: dict[str, str] = {}
    for role in ("anchors", "students"):
        for e in inputs.get(role) or []:
            eid = str(e.get("essay_id"))
            labels[eid] = str(e.get("label", eid))
            essays[eid] = {
                "l": labels[eid],
                "g": e.get("grade"),
                "r": _rank_or_none(e.get("grade"), scale),
                "f": e.get("file_name"),
                "w": e.get("words"),
                "t": clip(texts.get(eid), ESSAY_LIMIT),
            }
    return essays, labels


def _judgement_json(record: Record) -> dict[str, Any]:
    return {
        "id": record.get("comparison_id"),
        "it": record.get("iteration", 0),
        "a": record.get("essay_a_id"),
        "b": record.get("essay_b_id"),
        "w": (d.winner_id if (d := decided(record)) else None),
        "c": record.get("confidence"),
        "j": clip(record.get("justification"), JUSTIFICATION_LIMIT),
        "r": None if d else (record.get("failure_reason") or "no valid winner"),
        "m": record.get("model"),
    }


def build_run_view(
    artefact: Mapping[str, Any],
    summary: Mapping[str, Any],
    *,
    records: Sequence[Record] | None = None,
    texts: Mapping[str, str] | None = None,
    baseline: Mapping[str, Any] | None = None,
    error: Mapping[str, Any] | None = None,
) -> RunView:
    """Everything report.html shows, from the run's own files (as dicts)."""
    records = list(records if records is not None else artefact.get("comparisons") or [])
    meta = artefact.get("metadata") or {}
    status = _status(summary, artefact)
    mode = str(summary.get("mode") or meta.get("mode") or "unknown")
    scale = str(meta.get("grade_scale") or "eng5_np_legacy_9_step")
    essays, labels = _essays_json(artefact, texts or {}, scale)
    groups = failure_groups(records, labels)
    kind = str((artefact.get("analysis") or {}).get("kind") or "")
    view_alignment = view_boundary = view_placement = None
    legend: list[tuple[str, str]] = []
    if kind == "anchor_alignment":
        view_alignment, tiles, headline, tone = build_alignment_view(
            artefact, summary, records, status, scale
        )
        legend = view_alignment.scale.legend if view_alignment.scale else []
        page_kind = "alignment"
    elif kind == "boundary":
        view_boundary, tiles, headline, tone = build_boundary_view(
            artefact, summary, records, status
        )
        page_kind = "boundary"
    elif (artefact.get("extra") or {}).get("placement") is not None:
        view_placement, tiles, headline, tone = build_placement_view(
            artefact, summary, status, scale
        )
        present = {
            str(a[1]) for a in (artefact["extra"]["placement"].get("anchors_on_scale") or [])
        }
        legend = [(g, c) for g, c in grade_palette(scale).items() if g in present]
        page_kind = "placement"
    else:
        tiles, tone, page_kind = [], "neutral", "other"
        headline = (
            "No analysis in this run: a preview (dry-run) or an unfinished run; "
            "its prompts and provenance are below."
        )
    judge = meta.get("judge") or {}
    prompts = (artefact.get("inputs") or {}).get("prompts") or {}
    subtitle = " · ".join(
        str(x)
        for x in (
            mode,
            "prompt "
            + str((prompts.get("system_prompt") or {}).get("name", summary.get("system_prompt"))),
            f"rubric {(prompts.get('rubric') or {}).get('name', summary.get('rubric'))}",
            f"judge {judge.get('provider', summary.get('judge_provider'))}/"
            f"{judge.get('model', summary.get('judge_model'))}",
            meta.get("generated_at") or summary.get("generated_at"),
        )
        if x
    )
    include_pairs = page_kind in ("alignment", "boundary")
    keep = view_alignment.drill_keys if view_alignment is not None else None
    pairs = {
        k: [_judgement_json(r) for r in rs]
        for k, rs in by_pair(records).items()
        if include_pairs and (keep is None or k in keep)
    }
    if keep is not None:  # large runs: only the essays of the pairs the page can open
        needed = {eid for k in pairs for eid in k.split("|")}
        essays = {eid: e for eid, e in essays.items() if eid in needed}
    data = {"essays": essays if include_pairs else {}, "pairs": pairs}
    warnings = [str(w) for w in (artefact.get("runner_status") or {}).get("warnings") or []]
    return RunView(
        title=str(meta.get("batch_label") or summary.get("batch_label") or "run"),
        mode=mode,
        kind=page_kind,
        status=status,
        simulated=bool(meta.get("simulated", summary.get("simulated"))),
        subtitle=subtitle,
        headline=headline,
        tone=tone,
        tiles=tiles,
        banner=_banner(status, summary, groups, len(records), error),
        warnings=warnings,
        failures=groups,
        prompts=prompt_views(artefact, baseline),
        provenance=_provenance(artefact, summary),
        data=data,
        alignment=view_alignment,
        boundary=view_boundary,
        placement=view_placement,
        baseline=_baseline(artefact, summary),
        legend=legend,
        psychometrics=psy if isinstance(psy := artefact.get("psychometrics"), Mapping) else None,
    )
