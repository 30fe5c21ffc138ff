"""report.html for anchor-align-test: anchors, inversions, the scale and the win matrix."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eng5_runner.inputs.grade_scales import UnknownGradeError, grade_rank
from eng5_runner.reports import markdown as md
from eng5_runner.reports.html import charts
from eng5_runner.reports.html.alignment_summary import alignment_headline, alignment_tiles
from eng5_runner.reports.html.records import Record, by_pair, decided, pair_key
from eng5_runner.reports.html.tiles import Tile, num, target_tiles, with_targets
from eng5_runner.reports.palette import grade_colour, grade_palette

#: Above this many anchors the win matrix is drawn grade × grade and only the inverted
#: pairs keep their judgements in the page.
HEATMAP_MAX = 60
#: Above this many anchors the scale is one strip instead of a row per anchor.
SCALE_MAX = 100
#: Inverted pairs listed (worst first), and anchor table rows, at most.
INVERSIONS_SHOWN = 200
TABLE_MAX = 1000


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
                theta=num(r.get("theta")),
                se=num(r.get("se")),
                low=num(r.get("ci_low")),
                high=num(r.get("ci_high")),
                actual_rank=r.get("actual_rank"),
                expected_rank=r.get("expected_rank"),
                wins=wins,
                losses=losses,
                comparisons=games,
                win_rate=num(r.get("win_rate"))
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
        conf = [c for r in lost if (c := num(r.get("confidence"))) is not None]
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


def build_alignment_view(
    artefact: Mapping[str, Any],
    summary: Mapping[str, Any],
    records: Sequence[Record],
    status: str,
    scale: str,
) -> tuple[AlignmentView, list[Tile], str, str]:
    """The anchor-align view, its tiles, and the headline sentence with its tone."""
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
    tiles = with_targets(
        alignment_tiles(metrics, analysis, status), target_tiles(artefact, summary, status)
    )
    headline, tone = alignment_headline(tiles, inversions, status, summary)
    return view, tiles, headline, tone
