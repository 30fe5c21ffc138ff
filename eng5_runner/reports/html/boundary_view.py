"""report.html for boundary-test: per-pair intervals, slot A, order effect, justifications."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eng5_runner.reports import markdown as md
from eng5_runner.reports.html import charts
from eng5_runner.reports.html.records import (
    JUSTIFICATION_LIMIT,
    Record,
    by_pair,
    clip,
    decided,
    pair_key,
)
from eng5_runner.reports.html.tiles import (
    FAILED_STATUSES,
    Tile,
    interval_text,
    num,
    target_tiles,
    with_targets,
)


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


def build_boundary_view(
    artefact: Mapping[str, Any],
    summary: Mapping[str, Any],
    records: Sequence[Record],
    status: str,
) -> tuple[BoundaryView, list[Tile], str, str]:
    """The boundary-test view, its tiles, and the headline sentence with its tone."""
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
                    confidence=num(r.get("confidence")),
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
            num(c.get("threshold"))
            for c in artefact.get("targets") or []
            if c.get("name") == "pooled_win_rate"
        ),
        None,
    )

    def prop_row(name: str, prop: Mapping[str, Any], pooled_row: bool) -> tuple[Any, ...]:
        rate, low, high = num(prop.get("rate")), num(prop.get("low")), num(prop.get("high"))
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
                num(s.get("win_rate_higher_in_a")),
                num(s.get("win_rate_higher_in_b")),
                f"Δ {md.fmt_num(num(s.get('order_effect')), 2)}",
                f"{n}: higher wins {md.fmt_pct(num(s.get('win_rate_higher_in_a')))} when in A, "
                f"{md.fmt_pct(num(s.get('win_rate_higher_in_b')))} when in B",
            )
            for n, s in names
        ]
    )
    win = pooled.get("win") or {}
    slot = pooled.get("slot_a") or {}
    conf = pooled.get("confidence") or {}

    def ci(d: Mapping[str, Any], pct: bool) -> str | None:
        low, high = num(d.get("low")), num(d.get("high"))
        return interval_text((low, high) if low is not None and high is not None else None, pct)

    tiles = [
        Tile(
            key="pooled_win_rate",
            label="Pooled win rate of the higher grade",
            value=md.fmt_pct(num(metrics.get("pooled_win_rate")), 1),
            raw=num(metrics.get("pooled_win_rate")),
            interval=ci(win, True),
            method=f"Wilson 95%, {win.get('k', 0)} of {win.get('n', 0)}",
        ),
        Tile(
            key="pooled_slot_a_rate",
            label="Pooled share won by slot A",
            value=md.fmt_pct(num(metrics.get("pooled_slot_a_rate")), 1),
            raw=num(metrics.get("pooled_slot_a_rate")),
            interval=ci(slot, True),
            method="Wilson 95%",
            note=f"binomial p = {md.fmt_p(num(metrics.get('pooled_bias_p')))} vs 50%",
        ),
        Tile(
            key="order_effect",
            label="Order effect (higher in A − in B)",
            value=md.fmt_num(num(metrics.get("order_effect"))),
            raw=num(metrics.get("order_effect")),
        ),
        Tile(
            key="pooled_mean_confidence",
            label="Mean confidence (1–5)",
            value=md.fmt_num(num(metrics.get("pooled_mean_confidence")), 2),
            raw=num(metrics.get("pooled_mean_confidence")),
            interval=ci(conf, False),
            method="Student-t 95%",
        ),
        Tile(
            key="position_consistency",
            label="Position consistency",
            value=md.fmt_pct(num(metrics.get("position_consistency")), 1),
            raw=num(metrics.get("position_consistency")),
            note="iterations whose two orders picked the same essay",
        ),
    ]
    tiles = with_targets(tiles, target_tiles(artefact, summary, status))
    if status in FAILED_STATUSES:
        headline, tone = "The run failed: no boundary comparison to report.", "bad"
    else:
        targets = [t for t in tiles if t.target]
        missed = [t.label for t in targets if t.verdict == "fail"]
        headline = (
            f"The higher grade won {tiles[0].value} {tiles[0].interval or ''} of "
            f"{win.get('n', 0)} boundary comparisons; slot A won {tiles[1].value} "
            f"(p = {md.fmt_p(num(metrics.get('pooled_bias_p')))}). "
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
