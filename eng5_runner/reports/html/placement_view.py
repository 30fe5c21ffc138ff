"""report.html for execute: the students placed on the anchors' scale."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eng5_runner.reports.html import charts
from eng5_runner.reports.html.tiles import FAILED_STATUSES, Tile, num
from eng5_runner.reports.palette import grade_colour


@dataclass
class PlacementView:
    students: list[Mapping[str, Any]]
    strip: charts.Strip | None


def build_placement_view(
    artefact: Mapping[str, Any], summary: Mapping[str, Any], status: str, scale: str
) -> tuple[PlacementView, list[Tile], str, str]:
    """The execute view, its tiles, and the headline sentence with its tone."""
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
        if isinstance(a, list | tuple) and len(a) == 3 and num(a[2]) is not None
    ]
    dots = [
        (
            str(s.get("label")),
            float(s["theta"]),
            f"{s.get('label')} · θ = {float(s['theta']):.2f} · "
            f"projected {s.get('projected_grade') or '—'}",
        )
        for s in students
        if num(s.get("theta")) is not None
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
            raw=num(summary.get("comparisons")),
        ),
    ]
    if status in FAILED_STATUSES:
        return PlacementView(students, strip), tiles, "The run failed: no placement.", "bad"
    headline = (
        f"{n} student essay(s) placed on the anchors' scale, each with projected grade "
        "probabilities from a proportional-odds model validated leave-one-anchor-out."
    )
    return (
        PlacementView(students, strip),
        tiles,
        headline,
        "warn" if status != "complete" else "neutral",
    )
