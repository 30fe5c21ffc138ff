"""The view-model of one run's report.html, built from summary.json, the artefact and records.

Only plain dicts go in (the files a run writes), so a page can be rebuilt from a
run directory alone, and fields that other runner versions add (intervals,
baseline verdicts, statuses) are shown when they are present.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from eng5_runner.inputs.grade_scales import UnknownGradeError, grade_rank
from eng5_runner.reports import markdown as md
from eng5_runner.reports.html import charts
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
    pair_key,
)
from eng5_runner.reports.palette import grade_colour, grade_palette

FAILED_STATUSES = {"failed", "error"}
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
#: Above this many anchors the win matrix is drawn grade × grade and only the inverted
#: pairs keep their judgements in the page.
HEATMAP_MAX = 60
#: Above this many anchors the scale is one strip instead of a row per anchor.
SCALE_MAX = 100
#: Inverted pairs listed (worst first), and anchor table rows, at most.
INVERSIONS_SHOWN = 200
TABLE_MAX = 1000


def _num(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _pair(value: object) -> tuple[float, float] | None:
    """A two-element interval list, or None."""
    if isinstance(value, list | tuple) and len(value) == 2:
        low, high = _num(value[0]), _num(value[1])
        if low is not None and high is not None:
            return low, high
    return None


@dataclass(frozen=True)
class Tile:
    """One headline number with its interval, target and verdict."""

    key: str
    label: str
    value: str
    raw: float | None
    interval: str | None = None
    method: str | None = None
    target: str | None = None
    verdict: str | None = None
    """pass, fail, unverified (partial data), n/a; None without a target."""
    note: str | None = None


@dataclass(frozen=True)
class Banner:
    level: str
    """error, warning or notice."""
    title: str
    lines: tuple[str, ...]
    reasons: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Anchor:
    essay_id: str
    label: str
    grade: str
    rank: int
    colour: str
    theta: float | None
    se: float | None
    low: float | None
    high: float | None
    actual_rank: int | None
    expected_rank: int | None
    wins: int
    losses: int
    comparisons: int
    win_rate: float | None
    source_file: str
    flag: str | None
    inverted: bool


@dataclass(frozen=True)
class Inversion:
    key: str
    higher: Anchor
    lower: Anchor
    higher_wins: int
    lower_wins: int
    majority: bool
    mean_confidence: float | None
    why: str | None


@dataclass
class AlignmentView:
    anchors: list[Anchor]
    inversions: list[Inversion]
    scale: charts.ScaleChart | None
    heatmap: charts.Heatmap | None
    bt_note: str | None
    strip: charts.Strip | None = None
    """Instead of the row-per-anchor scale above :data:`SCALE_MAX` anchors."""
    total_inversions: int = 0
    total_anchors: int = 0
    drill_keys: set[str] | None = None
    """Pairs whose judgements the page carries (None: all)."""


@dataclass(frozen=True)
class BoundaryComparison:
    comparison_id: str
    iteration: int
    order: str
    winner: str
    higher_won: bool | None
    confidence: float | None
    justification: str | None
    failure: str | None


@dataclass(frozen=True)
class BoundaryPair:
    key: str
    name: str
    grades: str
    stats: Mapping[str, Any]
    comparisons: tuple[BoundaryComparison, ...]


@dataclass
class BoundaryView:
    pairs: list[BoundaryPair]
    pooled: Mapping[str, Any]
    win_chart: charts.Forest
    slot_chart: charts.Forest
    order_chart: charts.Dumbbell


@dataclass
class PlacementView:
    students: list[Mapping[str, Any]]
    strip: charts.Strip | None


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


# --------------------------------------------------------------------- shared parts


def _status(summary: Mapping[str, Any], artefact: Mapping[str, Any]) -> str:
    return str(summary.get("status") or artefact.get("status") or "unknown")


def _verdict(passed: object, value: float | None, status: str) -> str:
    if status in FAILED_STATUSES or value is None:
        return "n/a"
    if passed is True:
        return "pass" if status == "complete" else "unverified"
    return "fail"


def _target_tiles(
    artefact: Mapping[str, Any], summary: Mapping[str, Any], status: str
) -> list[Tile]:
    tiles = []
    passed_by_name = summary.get("targets") or {}
    for check in artefact.get("targets") or []:
        if not isinstance(check, Mapping):
            continue
        name = str(check.get("name"))
        metrics = summary.get("metrics") or {}
        value = _num(metrics.get(name, check.get("value")))
        integer = bool(check.get("integer"))
        threshold = _num(check.get("threshold"))
        digits = _digits_apart(value, threshold)
        text = md.fmt_int(value) if integer else _fmt_metric(name, value, digits)
        limit = md.fmt_int(threshold) if integer else md.fmt_num(threshold, digits)
        tiles.append(
            Tile(
                key=name,
                label=str(check.get("label", name)),
                value=text,
                raw=value,
                target=f"{check.get('comparator', '')} {limit}",
                verdict=_verdict(passed_by_name.get(name, check.get("passed")), value, status),
            )
        )
    return tiles


def _with_targets(tiles: list[Tile], targets: list[Tile]) -> list[Tile]:
    """Put each target on the tile of its metric, or add it as a tile of its own."""
    out = list(tiles)
    for target in targets:
        at = next((i for i, t in enumerate(out) if t.key == target.key), None)
        if at is None:
            out.append(target)
        else:
            out[at] = replace(out[at], target=target.target, verdict=target.verdict)
    return out


def _digits_apart(value: float | None, threshold: float | None, digits: int = 3) -> int:
    """Enough decimals that a value and its target never look equal unless they are."""
    if value is None or threshold is None or value == threshold:
        return digits
    while digits < 10 and round(value, digits) == round(threshold, digits):
        digits += 1
    return digits


def _fmt_metric(name: str, value: float | None, digits: int = 3) -> str:
    if name.endswith("_p") and (value is None or value < 0.001):
        return md.fmt_p(value)
    return md.fmt_num(value, digits)


def _interval_text(ci: tuple[float, float] | None, pct: bool = False) -> str | None:
    if ci is None:
        return None
    return md.fmt_interval(ci[0], ci[1], pct=pct, digits=1 if pct else 3)


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
            f"${_num(summary.get('cost_usd')) or 0.0:.4f} "
            f"(${_num(summary.get('new_cost_usd')) or 0.0:.4f})",
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
        before, now = _num(d.get("baseline")), _num(d.get("current"))
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


# --------------------------------------------------------------------- alignment


def _anchors(artefact: Mapping[str, Any], scale: str, inverted_ids: set[str]) -> list[Anchor]:
    analysis = artefact.get("analysis") or {}
    rows = analysis.get("anchors")
    if not rows:  # older or leaner artefacts: the BT summary has the same numbers
        rows = [
            {
                **r,
                "se": r.get("standard_error"),
                "actual_rank": r.get("rank"),
                "comparisons": r.get("comparison_count"),
            }
            for r in artefact.get("bt_summary") or []
        ]
    files = {
        e.get("essay_id"): e.get("file_name")
        for e in (artefact.get("inputs") or {}).get("anchors") or []
    }
    out = []
    for r in rows:
        grade = str(r.get("grade") or "")
        try:
            rank = int(r["grade_rank"]) if "grade_rank" in r else grade_rank(grade, scale)
        except (UnknownGradeError, ValueError, TypeError):
            rank = 99
        wins, losses = int(r.get("wins") or 0), int(r.get("losses") or 0)
        games = int(r.get("comparisons") or wins + losses)
        eid = str(r.get("essay_id"))
        out.append(
            Anchor(
                essay_id=eid,
                label=str(r.get("label", eid)),
                grade=grade,
                rank=rank,
                colour=grade_colour(grade, scale),
                theta=_num(r.get("theta")),
                se=_num(r.get("se")),
                low=_num(r.get("ci_low")),
                high=_num(r.get("ci_high")),
                actual_rank=r.get("actual_rank"),
                expected_rank=r.get("expected_rank"),
                wins=wins,
                losses=losses,
                comparisons=games,
                win_rate=_num(r.get("win_rate"))
                if "win_rate" in r
                else (wins / games if games else None),
                source_file=str(r.get("source_file") or files.get(eid) or ""),
                flag=r.get("bt_flag"),
                inverted=eid in inverted_ids,
            )
        )
    out.sort(key=lambda a: (a.expected_rank or 0, a.rank, a.label))
    return out


def _inversions(anchors: Sequence[Anchor], pairs: Mapping[str, list[Record]]) -> list[Inversion]:
    """Pairs of differently graded anchors the lower grade won at least once (linear in records)."""
    by_id = {a.essay_id: a for a in anchors}
    found = []
    for key, records in pairs.items():
        first, _, second = key.partition("|")
        x, y = by_id.get(first), by_id.get(second)
        if x is None or y is None or x.rank == y.rank:
            continue
        high, low = (x, y) if x.rank < y.rank else (y, x)
        outcomes = [d for r in records if (d := decided(r))]
        hw = sum(1 for d in outcomes if d.winner_id == high.essay_id)
        lost = [r for r in records if (d := decided(r)) and d.winner_id == low.essay_id]
        if not lost:
            continue
        conf = [c for r in lost if (c := _num(r.get("confidence"))) is not None]
        why = next((r.get("justification") for r in lost if r.get("justification")), None)
        found.append(
            Inversion(
                key=pair_key(x.essay_id, y.essay_id),
                higher=high,
                lower=low,
                higher_wins=hw,
                lower_wins=len(lost),
                majority=len(lost) > hw,
                mean_confidence=sum(conf) / len(conf) if conf else None,
                why=md.truncate(why, 260) if why else None,
            )
        )
    found.sort(key=lambda v: (not v.majority, -(v.lower.rank - v.higher.rank), -v.lower_wins))
    return found


def _alignment_heatmap(
    anchors: Sequence[Anchor], records: Sequence[Record], scale: str
) -> charts.Heatmap | None:
    if len(anchors) < 2:
        return None
    if len(anchors) <= HEATMAP_MAX:
        index = {a.essay_id: i for i, a in enumerate(anchors)}
        labels = [(a.essay_id, f"{a.label} ({a.grade})", a.colour) for a in anchors]
        ranks = [a.rank for a in anchors]
        aggregated = False
    else:  # grade × grade
        grades = sorted({a.rank for a in anchors})
        pos = {g: k for k, g in enumerate(grades)}
        index = {a.essay_id: pos[a.rank] for a in anchors}
        by_rank = {a.rank: a.grade for a in anchors}
        labels = [(str(g), f"grade {by_rank[g]}", grade_colour(by_rank[g], scale)) for g in grades]
        ranks = grades
        aggregated = True
    n = len(labels)
    matrix = [[0] * n for _ in range(n)]
    for r in records:
        d = decided(r)
        if d and d.winner_id in index and d.loser_id in index:
            matrix[index[d.winner_id]][index[d.loser_id]] += 1
    names = [text for _, text, _ in labels]
    ids = [eid for eid, _, _ in labels]

    def title(i: int, j: int, count: int) -> str:
        return f"{names[i]} beat {names[j]}: {count}×" + (
            " — inversion (lower grade won)" if count and ranks[i] > ranks[j] else ""
        )

    def key(i: int, j: int) -> str:
        return "" if aggregated else pair_key(ids[i], ids[j])

    return charts.heatmap(labels, matrix, ranks, title, key, aggregated=aggregated)


def _alignment(
    artefact: Mapping[str, Any],
    summary: Mapping[str, Any],
    records: Sequence[Record],
    status: str,
    scale: str,
) -> tuple[AlignmentView, list[Tile], str, str]:
    analysis = artefact.get("analysis") or {}
    metrics = summary.get("metrics") or {}
    pairs = by_pair(records)
    provisional = _anchors(artefact, scale, set())
    inversions = _inversions(provisional, pairs)
    inverted_ids = {v.higher.essay_id for v in inversions} | {v.lower.essay_id for v in inversions}
    anchors = _anchors(artefact, scale, inverted_ids)
    by_id = {a.essay_id: a for a in anchors}
    inversions = [
        Inversion(
            **{**v.__dict__, "higher": by_id[v.higher.essay_id], "lower": by_id[v.lower.essay_id]}
        )
        for v in inversions
    ]
    entries = [
        charts.ScaleEntry(
            essay_id=a.essay_id,
            label=a.label,
            grade=a.grade,
            colour=a.colour,
            theta=a.theta,
            low=a.low,
            high=a.high,
            tooltip=f"{a.label} · grade {a.grade} · θ = {md.fmt_num(a.theta, 2)} "
            f"{md.fmt_interval(a.low, a.high, digits=2)} · {a.wins} wins, {a.losses} losses"
            + (f" · {a.flag}" if a.flag else ""),
            inverted=a.inverted,
        )
        for a in anchors
        if a.theta is not None
    ]
    links = [
        (
            v.key,
            v.higher.essay_id,
            v.lower.essay_id,
            v.majority,
            f"inversion: {v.lower.label} ({v.lower.grade}) beat {v.higher.label} "
            f"({v.higher.grade}) {v.lower_wins}× of {v.lower_wins + v.higher_wins}",
        )
        for v in inversions
    ]
    present = {a.grade for a in anchors}
    legend = [(g, c) for g, c in grade_palette(scale).items() if g in present]
    large = len(anchors) > SCALE_MAX
    shown = inversions[:INVERSIONS_SHOWN]
    view = AlignmentView(
        anchors=anchors[:TABLE_MAX],
        inversions=shown,
        scale=charts.scale_chart(entries, links, legend) if entries and not large else None,
        heatmap=_alignment_heatmap(anchors, records, scale),
        bt_note=(analysis.get("bt") or {}).get("note"),
        strip=charts.strip([(e.label, e.colour, e.theta or 0.0, e.tooltip) for e in entries], [])
        if entries and large
        else None,
        total_inversions=len(inversions),
        total_anchors=len(anchors),
        drill_keys={v.key for v in shown} if len(anchors) > HEATMAP_MAX else None,
    )
    tiles = _with_targets(
        _alignment_tiles(metrics, analysis, status), _target_tiles(artefact, summary, status)
    )
    headline, tone = _alignment_headline(tiles, inversions, status, summary)
    return view, tiles, headline, tone


def _alignment_tiles(
    metrics: Mapping[str, Any], analysis: Mapping[str, Any], status: str
) -> list[Tile]:
    tau = _num(metrics.get("tau_b"))
    tau_ci = _pair(metrics.get("tau_b_ci95"))
    ceiling = _num(metrics.get("tau_b_ceiling"))
    tiles = [
        Tile(
            key="tau_b",
            label="Kendall's τ-b with the expert grades",
            value=md.fmt_num(tau),
            raw=tau,
            interval=_interval_text(tau_ci),
            method="bootstrap 95%: how much τ-b moves if the judge is asked again"
            if tau_ci
            else "no interval in this run's summary",
            note=f"ceiling {md.fmt_num(ceiling)} given ties in the grades" if ceiling else None,
        )
    ]
    rate = _num(metrics.get("agreement_rate"))
    rate_ci = _pair(metrics.get("agreement_rate_ci95"))
    method = "Wilson 95%"
    if rate is None:  # older runners: derive it from the inversion counts
        cross = _num(analysis.get("cross_grade_comparisons"))
        inverted = _num(analysis.get("inverted_comparisons"))
        if cross and inverted is not None:
            from eng5_runner.stats import wilson_interval

            rate = (cross - inverted) / cross
            rate_ci = wilson_interval(int(cross - inverted), int(cross))
            method = f"Wilson 95%, {int(cross - inverted)} of {int(cross)} cross-grade comparisons"
    tiles.append(
        Tile(
            key="agreement_rate",
            label="Comparisons won by the higher grade",
            value=md.fmt_pct(rate, 1),
            raw=rate,
            interval=_interval_text(rate_ci, pct=True),
            method=method if rate is not None else None,
        )
    )
    somers = _num(metrics.get("somers_d"))
    somers_ci = _pair(metrics.get("somers_d_ci95"))
    tiles.append(
        Tile(
            key="somers_d",
            label="Somers' d (scale | grade)",
            value=md.fmt_num(somers),
            raw=somers,
            interval=_interval_text(somers_ci),
            method="bootstrap 95%" if somers_ci else None,
        )
    )
    position = analysis.get("position") or {}
    slot = _num(metrics.get("slot_a_rate"))
    low, high = _num(position.get("low")), _num(position.get("high"))
    tiles.append(
        Tile(
            key="slot_a_rate",
            label="Won by the essay in slot A",
            value=md.fmt_pct(slot, 1),
            raw=slot,
            interval=_interval_text(
                (low, high) if low is not None and high is not None else None, pct=True
            ),
            method="Wilson 95%",
            note=f"binomial p = {md.fmt_p(_num(metrics.get('slot_a_p')))} vs 50%",
        )
    )
    return tiles


def _alignment_headline(
    tiles: Sequence[Tile], inversions: Sequence[Inversion], status: str, summary: Mapping[str, Any]
) -> tuple[str, str]:
    if status in FAILED_STATUSES:
        return "The run failed: there is no scale to compare with the experts.", "bad"
    tau = tiles[0]
    parts = [f"τ-b = {tau.value}" + (f" {tau.interval}" if tau.interval else "")]
    targets = [t for t in tiles if t.target]
    met = sum(1 for t in targets if t.verdict == "pass")
    missed = [t.label for t in targets if t.verdict == "fail"]
    if targets:
        parts.append(f"{met} of {len(targets)} targets met")
    if inversions:
        worst = inversions[0]
        parts.append(
            f"{len(inversions)} inverted pair(s), worst {worst.lower.label} ({worst.lower.grade}) "
            f"over {worst.higher.label} ({worst.higher.grade}) "
            f"{worst.lower_wins}–{worst.higher_wins}"
        )
    else:
        parts.append("no inverted pair")
    sentence = "; ".join(parts) + "."
    if missed:
        sentence += " Missed: " + ", ".join(missed) + "."
    base = summary.get("baseline")
    if isinstance(base, Mapping) and base.get("verdict"):
        ci = _pair(base.get("delta_tau_b_ci95"))
        sentence += (
            f" Against the baseline: {base['verdict']}"
            + (
                f" (Δτ-b = {_signed(_num(base.get('delta_tau_b')))}"
                if base.get("delta_tau_b") is not None
                else ""
            )
            + (f" [{_signed(ci[0])}, {_signed(ci[1])}]" if ci else "")
            + (
                f", McNemar p = {md.fmt_p(_num(base.get('mcnemar_p')))}"
                if base.get("mcnemar_p") is not None
                else ""
            )
            + (")" if base.get("delta_tau_b") is not None else "")
            + "."
        )
    if status != "complete":
        return sentence + " Partial data: no target can pass.", "warn"
    tone = "good" if targets and not missed else ("bad" if missed else "neutral")
    return sentence, tone


def _signed(value: float | None) -> str:
    return "—" if value is None else f"{value:+.3f}"


# --------------------------------------------------------------------- boundary


def _boundary(
    artefact: Mapping[str, Any],
    summary: Mapping[str, Any],
    records: Sequence[Record],
    status: str,
) -> tuple[BoundaryView, list[Tile], str, str]:
    analysis = artefact.get("analysis") or {}
    metrics = summary.get("metrics") or {}
    pooled = analysis.get("pooled") or {}
    grouped = by_pair(records)
    pairs = []
    for p in analysis.get("pairs") or []:
        hid, lid = str(p.get("higher_id")), str(p.get("lower_id"))
        key = pair_key(hid, lid)
        rows = []
        for r in grouped.get(key, []):
            d = decided(r)
            winner = "—"
            if d:
                winner = p.get("higher") if d.winner_id == hid else p.get("lower")
            rows.append(
                BoundaryComparison(
                    comparison_id=str(r.get("comparison_id")),
                    iteration=int(r.get("iteration") or 0),
                    order="higher in A" if r.get("essay_a_id") == hid else "higher in B",
                    winner=str(winner),
                    higher_won=None if d is None else d.winner_id == hid,
                    confidence=_num(r.get("confidence")),
                    justification=clip(r.get("justification"), JUSTIFICATION_LIMIT),
                    failure=None if d else (r.get("failure_reason") or "no valid winner"),
                )
            )
        pairs.append(
            BoundaryPair(
                key=key,
                name=f"{p.get('higher')} > {p.get('lower')}",
                grades=f"{p.get('higher_grade')} / {p.get('lower_grade')}",
                stats=p.get("stats") or {},
                comparisons=tuple(rows),
            )
        )
    target = next(
        (
            _num(c.get("threshold"))
            for c in artefact.get("targets") or []
            if c.get("name") == "pooled_win_rate"
        ),
        None,
    )

    def prop_row(name: str, prop: Mapping[str, Any], pooled_row: bool) -> tuple[Any, ...]:
        rate, low, high = _num(prop.get("rate")), _num(prop.get("low")), _num(prop.get("high"))
        text = f"{prop.get('k', 0)}/{prop.get('n', 0)}"
        ci = md.fmt_interval(low, high, pct=True, digits=1)
        tip = f"{name}: {md.fmt_pct(rate, 1)} {ci} ({text})"
        return (name, rate, low, high, text, pooled_row, tip)

    names = [(bp.name + f" ({bp.grades})", bp.stats) for bp in pairs] + [("pooled", pooled)]
    refs = [(0.5, "50%", "ref-half")]
    win_chart = charts.forest(
        [prop_row(n, s.get("win") or {}, n == "pooled") for n, s in names],
        refs + ([(target, f"target {target:.0%}", "ref-target")] if target is not None else []),
    )
    slot_chart = charts.forest(
        [prop_row(n, s.get("slot_a") or {}, n == "pooled") for n, s in names], refs
    )
    order_chart = charts.dumbbell(
        [
            (
                n,
                _num(s.get("win_rate_higher_in_a")),
                _num(s.get("win_rate_higher_in_b")),
                f"Δ {md.fmt_num(_num(s.get('order_effect')), 2)}",
                f"{n}: higher wins {md.fmt_pct(_num(s.get('win_rate_higher_in_a')))} when in A, "
                f"{md.fmt_pct(_num(s.get('win_rate_higher_in_b')))} when in B",
            )
            for n, s in names
        ]
    )
    win = pooled.get("win") or {}
    slot = pooled.get("slot_a") or {}
    conf = pooled.get("confidence") or {}

    def ci(d: Mapping[str, Any], pct: bool) -> str | None:
        low, high = _num(d.get("low")), _num(d.get("high"))
        return _interval_text((low, high) if low is not None and high is not None else None, pct)

    tiles = [
        Tile(
            key="pooled_win_rate",
            label="Pooled win rate of the higher grade",
            value=md.fmt_pct(_num(metrics.get("pooled_win_rate")), 1),
            raw=_num(metrics.get("pooled_win_rate")),
            interval=ci(win, True),
            method=f"Wilson 95%, {win.get('k', 0)} of {win.get('n', 0)}",
        ),
        Tile(
            key="pooled_slot_a_rate",
            label="Pooled share won by slot A",
            value=md.fmt_pct(_num(metrics.get("pooled_slot_a_rate")), 1),
            raw=_num(metrics.get("pooled_slot_a_rate")),
            interval=ci(slot, True),
            method="Wilson 95%",
            note=f"binomial p = {md.fmt_p(_num(metrics.get('pooled_bias_p')))} vs 50%",
        ),
        Tile(
            key="order_effect",
            label="Order effect (higher in A − in B)",
            value=md.fmt_num(_num(metrics.get("order_effect"))),
            raw=_num(metrics.get("order_effect")),
        ),
        Tile(
            key="pooled_mean_confidence",
            label="Mean confidence (1–5)",
            value=md.fmt_num(_num(metrics.get("pooled_mean_confidence")), 2),
            raw=_num(metrics.get("pooled_mean_confidence")),
            interval=ci(conf, False),
            method="Student-t 95%",
        ),
        Tile(
            key="position_consistency",
            label="Position consistency",
            value=md.fmt_pct(_num(metrics.get("position_consistency")), 1),
            raw=_num(metrics.get("position_consistency")),
            note="iterations whose two orders picked the same essay",
        ),
    ]
    tiles = _with_targets(tiles, _target_tiles(artefact, summary, status))
    if status in FAILED_STATUSES:
        headline, tone = "The run failed: no boundary comparison to report.", "bad"
    else:
        targets = [t for t in tiles if t.target]
        missed = [t.label for t in targets if t.verdict == "fail"]
        headline = (
            f"The higher grade won {tiles[0].value} {tiles[0].interval or ''} of "
            f"{win.get('n', 0)} boundary comparisons; slot A won {tiles[1].value} "
            f"(p = {md.fmt_p(_num(metrics.get('pooled_bias_p')))}). "
            f"{sum(1 for t in targets if t.verdict == 'pass')} of {len(targets)} targets met."
        )
        if missed:
            headline += " Missed: " + ", ".join(missed) + "."
        tone = "bad" if missed else "good"
        if status != "complete":
            headline += " Partial data: no target can pass."
            tone = "warn"
    view = BoundaryView(pairs, pooled, win_chart, slot_chart, order_chart)
    return view, tiles, headline, tone


# --------------------------------------------------------------------- placement


def _placement(
    artefact: Mapping[str, Any], summary: Mapping[str, Any], status: str, scale: str
) -> tuple[PlacementView, list[Tile], str, str]:
    placement = (artefact.get("extra") or {}).get("placement") or {}
    students = [s for s in placement.get("students") or [] if isinstance(s, Mapping)]
    anchors = [
        (
            str(a[0]),
            grade_colour(str(a[1]), scale),
            float(a[2]),
            f"{a[0]} · grade {a[1]} · θ = {float(a[2]):.2f}",
        )
        for a in placement.get("anchors_on_scale") or []
        if isinstance(a, list | tuple) and len(a) == 3 and _num(a[2]) is not None
    ]
    dots = [
        (
            str(s.get("label")),
            float(s["theta"]),
            f"{s.get('label')} · θ = {float(s['theta']):.2f} · "
            f"indicative {s.get('indicative_grade') or '—'}",
        )
        for s in students
        if _num(s.get("theta")) is not None
    ]
    strip = charts.strip(anchors, dots) if anchors or dots else None
    n = len(students)
    tiles = [
        Tile(key="students", label="Students placed", value=str(n), raw=float(n)),
        Tile(
            key="comparisons",
            label="Comparisons ok / failed",
            value=f"{placement.get('successful', summary.get('comparisons'))} / "
            f"{placement.get('failed', summary.get('failures'))}",
            raw=_num(summary.get("comparisons")),
        ),
    ]
    if status in FAILED_STATUSES:
        return PlacementView(students, strip), tiles, "The run failed: no placement.", "bad"
    headline = (
        f"{n} student essay(s) placed on the anchors' scale. The indicative grade is the "
        "nearest anchor's: a reading aid, not a calibrated projection."
    )
    return (
        PlacementView(students, strip),
        tiles,
        headline,
        "warn" if status != "complete" else "neutral",
    )


# --------------------------------------------------------------------- entry


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
        view_alignment, tiles, headline, tone = _alignment(
            artefact, summary, records, status, scale
        )
        legend = view_alignment.scale.legend if view_alignment.scale else []
        page_kind = "alignment"
    elif kind == "boundary":
        view_boundary, tiles, headline, tone = _boundary(artefact, summary, records, status)
        page_kind = "boundary"
    elif (artefact.get("extra") or {}).get("placement") is not None:
        view_placement, tiles, headline, tone = _placement(artefact, summary, status, scale)
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
    )
