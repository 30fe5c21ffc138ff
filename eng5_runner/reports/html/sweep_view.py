"""The view-model of ``sweep_summary.html``: leaderboard rows plus per-job data to compare.

Built from the sweep summary rows and each job directory's summary.json and
artefact.json. Fields a newer runner adds to a row or a summary (intervals,
Δ vs the reference, Holm-adjusted p, verdicts) are shown when present.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eng5_runner.inputs.grade_scales import UnknownGradeError, grade_rank
from eng5_runner.reports import markdown as md
from eng5_runner.reports.html import RUN_HTML, load_json
from eng5_runner.reports.html.prompts import PROMPT_KINDS, diff_lines, prompts_of
from eng5_runner.reports.html.records import by_pair, clip, decided

#: Per-job comparison fields (METRICS.md "Uncertainty and comparing variants").
COMPARE_KEYS = (
    "delta_tau_b",
    "delta_tau_b_ci95",
    "mcnemar_p",
    "mcnemar_p_holm",
    "holm_p",
    "verdict",
    "indistinguishable_from_best",
    "matched_comparisons",
)
JUSTIFICATION_CHARS = 600
#: Headline metrics shown next to the sort metric (all of them are in the compare view).
MAX_COLUMNS = 5


@dataclass(frozen=True)
class LeaderRow:
    rank: int
    job: str
    variant: str
    mode: str
    status: str
    value: float | None
    value_text: str
    interval: str | None
    delta: str | None
    delta_interval: str | None
    p_text: str | None
    verdict: str | None
    best_like: bool
    metrics: list[tuple[str, float | None, str]]
    comparisons: int | None
    failures: int | None
    cost_usd: float | None
    targets_met: bool | None
    link: str | None
    error: str | None


@dataclass
class SweepView:
    title: str
    sort_by: str
    gate: str
    gate_passed: bool | None
    rows: list[LeaderRow]
    columns: list[str]
    failed: int
    has_compare: bool
    data: dict[str, Any]
    has_paired: bool = False
    """Some row carries Δ vs the reference, a p-value or a verdict."""
    pick: str = ""
    tone: str = "neutral"


def _num(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _ci(value: object) -> tuple[float, float] | None:
    if isinstance(value, list | tuple) and len(value) == 2:
        low, high = _num(value[0]), _num(value[1])
        if low is not None and high is not None:
            return low, high
    return None


def _oriented_pairs(
    artefact: Mapping[str, Any], compared: Iterable[str]
) -> dict[str, tuple[str, str]]:
    """pair key → (higher id, lower id) for the compared pairs whose order the experts fix."""
    analysis = artefact.get("analysis") or {}
    scale = str((artefact.get("metadata") or {}).get("grade_scale") or "eng5_np_legacy_9_step")
    if analysis.get("kind") == "boundary":
        return {
            "|".join(sorted((str(p["higher_id"]), str(p["lower_id"])))): (
                str(p["higher_id"]),
                str(p["lower_id"]),
            )
            for p in analysis.get("pairs") or []
            if "higher_id" in p and "lower_id" in p
        }
    ranks: dict[str, int] = {}
    for essay in (artefact.get("inputs") or {}).get("anchors") or []:
        try:
            ranks[str(essay["essay_id"])] = grade_rank(str(essay.get("grade") or ""), scale)
        except (UnknownGradeError, KeyError):
            continue
    out = {}
    for key in compared:
        a, _, b = key.partition("|")
        if a in ranks and b in ranks and ranks[a] != ranks[b]:
            out[key] = (a, b) if ranks[a] < ranks[b] else (b, a)
    return out


def _job_data(
    row: Mapping[str, Any],
    summary: Mapping[str, Any],
    artefact: Mapping[str, Any],
    oriented: Mapping[str, tuple[str, str]],
) -> tuple[dict[str, Any], dict[str, list[list[Any]]], dict[str, str]]:
    """Compact per-job data, the judgements of each expert-ordered pair, essay labels."""
    grouped = by_pair(artefact.get("comparisons") or [])
    counts: dict[str, list[int]] = {}
    judgements: dict[str, list[list[Any]]] = {}
    for key, (high, _low) in oriented.items():
        decided_here = [(r, d) for r in grouped.get(key, []) if (d := decided(r))]
        if not decided_here:
            continue
        hw = sum(1 for _, d in decided_here if d.winner_id == high)
        counts[key] = [hw, len(decided_here) - hw]
        judgements[key] = [
            [d.winner_id, r.get("confidence"), clip(r.get("justification"), JUSTIFICATION_CHARS)]
            for r, d in decided_here
        ]
    labels = {}
    inputs = artefact.get("inputs") or {}
    for essay in [*(inputs.get("anchors") or []), *(inputs.get("students") or [])]:
        grade = essay.get("grade")
        labels[str(essay.get("essay_id"))] = f"{essay.get('label')}" + (
            f" ({grade})" if grade else ""
        )
    metrics = {
        k: v
        for k, v in {**(row.get("metrics") or {}), **(summary.get("metrics") or {})}.items()
        if _num(v) is not None
    }
    prompts = {
        kind: {"name": p.get("name"), "sha": p.get("sha256")}
        for kind, p in prompts_of(artefact).items()
    }
    job = {
        "job": row.get("job"),
        "variant": row.get("variant") or row.get("job"),
        "status": row.get("status"),
        "metrics": metrics,
        "prompts": prompts,
        "judge": f"{summary.get('judge_provider', '—')}/{summary.get('judge_model', '—')}",
        "pairs": {k: v for k, v in counts.items()},
        "targets_met": row.get("targets_met"),
    }
    return job, judgements, labels


def build_sweep_view(
    sweep_dir: Path,
    rows: Sequence[Mapping[str, Any]],
    *,
    sort_by: str,
    gate: str,
    gate_passed: bool | None,
    columns: Sequence[str],
) -> SweepView:
    """Everything sweep_summary.html shows; ``rows`` are SweepRow dumps plus ``variant``."""
    shown = [c for c in columns if c != sort_by][:MAX_COLUMNS]
    jobs: list[dict[str, Any]] = []
    just: dict[str, dict[str, list[list[Any]]]] = {}
    labels: dict[str, str] = {}
    texts: dict[str, dict[str, str]] = {kind: {} for kind, _ in PROMPT_KINDS}
    leader: list[LeaderRow] = []
    orient: dict[str, list[str]] = {}
    for rank, row in enumerate(rows, start=1):
        job_dir = sweep_dir / str(row.get("job"))
        summary = load_json(job_dir / "summary.json") or {}
        artefact = load_json(job_dir / "artefact.json") or {}
        oriented = _oriented_pairs(artefact, by_pair(artefact.get("comparisons") or []))
        orient.update({k: list(v) for k, v in oriented.items()})
        job, judgements, names = _job_data(row, summary, artefact, oriented)
        jobs.append(job)
        labels.update(names)
        for key, items in judgements.items():
            just.setdefault(key, {})[str(row.get("job"))] = items
        for kind, p in prompts_of(artefact).items():
            if kind in texts and p.get("sha256"):
                texts[kind][str(p["sha256"])] = str(p.get("text") or "")
        extra: dict[str, Any] = dict(summary.get("baseline") or {})
        for nest in ("baseline", "reference", "comparison", "vs_reference"):
            if isinstance(row.get(nest), Mapping):
                extra.update(row[nest])
        extra.update({k: row[k] for k in COMPARE_KEYS if k in row})
        metrics = {**(row.get("metrics") or {}), **(summary.get("metrics") or {})}
        value = _num(metrics.get(sort_by))
        interval = _ci(metrics.get(f"{sort_by}_ci95"))
        delta = _num(extra.get("delta_tau_b"))
        delta_ci = _ci(extra.get("delta_tau_b_ci95"))
        p_value = _num(extra.get("mcnemar_p_holm", extra.get("holm_p", extra.get("mcnemar_p"))))
        link = None
        if (job_dir / RUN_HTML).is_file():
            link = f"{row.get('job')}/{RUN_HTML}"
        elif (job_dir / "report.md").is_file():
            link = f"{row.get('job')}/report.md"
        status = str(row.get("status") or "unknown")
        if status == "success" and summary.get("status") not in (None, "complete"):
            status = str(summary.get("status"))
        leader.append(
            LeaderRow(
                rank=rank,
                job=str(row.get("job")),
                variant=str(row.get("variant") or row.get("job")),
                mode=str(row.get("mode") or "—"),
                status=status,
                value=value,
                value_text=md.fmt_num(value),
                interval=md.fmt_interval(*interval) if interval else None,
                delta=None if delta is None else f"{delta:+.3f}",
                delta_interval=None
                if delta_ci is None
                else f"[{delta_ci[0]:+.3f}, {delta_ci[1]:+.3f}]",
                p_text=None if p_value is None else md.fmt_p(p_value),
                verdict=str(extra["verdict"]) if extra.get("verdict") else None,
                best_like=bool(extra.get("indistinguishable_from_best")),
                metrics=[(c, _num(metrics.get(c)), _cell(c, metrics.get(c))) for c in shown],
                comparisons=row.get("comparisons"),
                failures=row.get("failures"),
                cost_usd=_num(row.get("cost_usd")),
                targets_met=row.get("targets_met"),
                link=link,
                error=row.get("error"),
            )
        )
    diffs: dict[str, list[tuple[str, str]]] = {}
    for kind, by_sha in texts.items():
        shas = sorted(by_sha)
        for i, a in enumerate(shas):
            for b in shas[i + 1 :]:
                diffs[f"{kind}:{a}:{b}"] = diff_lines(by_sha[a], by_sha[b])
                diffs[f"{kind}:{b}:{a}"] = diff_lines(by_sha[b], by_sha[a])
    reference = min(range(len(jobs)), key=lambda i: _job_order(str(jobs[i]["job"])), default=0)
    best = next((i for i in range(len(jobs)) if i != reference), reference)
    data = {
        "jobs": jobs,
        "just": just,
        "labels": labels,
        "diffs": diffs,
        "orient": {k: v for k, v in orient.items() if k in just},
        "default_a": reference,
        "default_b": best,
    }
    pick, tone = _pick(leader, sort_by)
    return SweepView(
        pick=pick,
        tone=tone,
        title=sweep_dir.name,
        sort_by=sort_by,
        gate=gate,
        gate_passed=gate_passed,
        rows=leader,
        columns=shown,
        failed=sum(1 for r in leader if r.status not in ("success", "complete")),
        has_compare=len(jobs) >= 2,
        has_paired=any(r.delta or r.p_text or r.verdict for r in leader),
        data=data,
    )


def _cell(name: str, value: object) -> str:
    number = _num(value)
    if number is None:
        return "—"
    if name.endswith("_p"):
        return md.fmt_p(number)
    return str(int(number)) if isinstance(value, int) else md.fmt_num(number)


def _job_order(name: str) -> tuple[int, str]:
    """Hydra numbers jobs 0, 1, …: the lowest is the reference by default."""
    return (int(name), "") if name.isdigit() else (1 << 30, name)


def _pick(rows: Sequence[LeaderRow], sort_by: str) -> tuple[str, str]:
    """One sentence: which variant to pick, and how sure that is."""
    ok = [r for r in rows if r.status in ("success", "complete") and r.value is not None]
    if not ok:
        return "No job finished with a result: nothing to pick.", "bad"
    meeting = [r for r in ok if r.targets_met]
    best = meeting[0] if meeting else ok[0]
    text = f"Best by {sort_by}: {best.variant} ({best.value_text}" + (
        f" {best.interval})" if best.interval else ")"
    )
    text += ", meeting every target." if meeting else "; no variant meets every target."
    close = [r.variant for r in ok if r.best_like and r is not best]
    if close:
        text += " Indistinguishable from it: " + ", ".join(close) + "."
    elif not any(r.verdict for r in rows):
        text += " No paired test in these summaries: small gaps may be noise."
    return text, "good" if meeting else "warn"
