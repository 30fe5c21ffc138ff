"""Execute mode: place student essays on the anchors' Bradley–Terry scale.

One BT fit over every essay (anchors and students). Each student gets θ ± SE,
its rank, the anchors just above and below it on the scale, and an indicative
grade: the grade of the anchor whose θ is nearest. That is a reading aid, not
CJ's calibrated grade projection.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import Field
from rich.console import Console
from rich.table import Table

from eng5_runner.engine.records import JudgementRecord
from eng5_runner.inputs.inventory import Essay
from eng5_runner.reports.context import Frozen, ReportContext, count_records, finite
from eng5_runner.reports.markdown import fmt_num
from eng5_runner.reports.psychometrics import (
    Psychometrics,
    build_psychometrics,
    render_psychometrics_markdown,
)


class StudentPlacement(Frozen):
    """One student essay on the anchors' scale."""

    label: str
    file_name: str
    theta: float | None
    se: float | None
    rank: int
    wins: int
    losses: int
    above: str | None
    """Nearest anchor with a higher θ, as ``label (grade)``."""
    below: str | None
    indicative_grade: str | None


class PlacementResult(Frozen):
    """Students placed among the anchors of one execute run."""

    students: tuple[StudentPlacement, ...]
    anchors_on_scale: tuple[tuple[str, str, float | None], ...]
    successful: int
    failed: int
    regularised: bool
    targets_met: bool | None = None
    psychometrics: Psychometrics | None = Field(None, exclude=True)
    """Misfit, split-half reliability, bias audits (the artefact's top-level object)."""


def build_placement(
    records: Sequence[JudgementRecord],
    essays: Sequence[Essay],
    *,
    ridge: float | None = None,
    grade_scale: str = "eng5_np_legacy_9_step",
    rounds: Sequence[Any] | None = None,
) -> PlacementResult:
    """Fit BT over all essays and place each student among the anchors."""
    from eng5_runner.stats import fit_bradley_terry

    index = {essay.essay_id: i for i, essay in enumerate(essays)}
    ok = [r for r in records if r.succeeded and r.winner_id in index and r.loser_id in index]
    winners = np.array([index[r.winner_id] for r in ok], dtype=np.int64)  # type: ignore[index]
    losers = np.array([index[r.loser_id] for r in ok], dtype=np.int64)  # type: ignore[index]
    fit = fit_bradley_terry(len(essays), winners, losers, ridge=ridge)
    theta = [finite(float(t)) for t in fit.theta]
    se = [finite(float(s)) for s in fit.se]
    order = sorted(range(len(essays)), key=lambda i: -(theta[i] or 0.0))
    rank = {i: r for r, i in enumerate(order, start=1)}
    wins = np.bincount(winners, minlength=len(essays))
    losses = np.bincount(losers, minlength=len(essays))
    anchors = [i for i, e in enumerate(essays) if e.role == "anchor"]
    students = []
    for i, essay in enumerate(essays):
        if essay.role != "student":
            continue
        t = theta[i] or 0.0
        higher = [a for a in anchors if (theta[a] or 0.0) >= t]
        lower = [a for a in anchors if (theta[a] or 0.0) < t]
        above = min(higher, key=lambda a: theta[a] or 0.0) if higher else None
        below = max(lower, key=lambda a: theta[a] or 0.0) if lower else None
        nearest = min(anchors, key=lambda a: abs((theta[a] or 0.0) - t)) if anchors else None
        students.append(
            StudentPlacement(
                label=essay.label,
                file_name=essay.source.path.name,
                theta=theta[i],
                se=se[i],
                rank=rank[i],
                wins=int(wins[i]),
                losses=int(losses[i]),
                above=_name(essays[above]) if above is not None else None,
                below=_name(essays[below]) if below is not None else None,
                indicative_grade=essays[nearest].grade if nearest is not None else None,
            )
        )
    counts = count_records(records)
    return PlacementResult(
        students=tuple(sorted(students, key=lambda s: s.rank)),
        anchors_on_scale=tuple(
            (essays[a].label, essays[a].grade or "?", theta[a])
            for a in sorted(anchors, key=lambda a: rank[a])
        ),
        successful=counts.successful,
        failed=counts.failed,
        regularised=fit.regularised,
        psychometrics=build_psychometrics(
            records, essays, grade_scale=grade_scale, ridge=ridge, rounds=rounds
        ),
    )


def _name(essay: Essay) -> str:
    return f"{essay.label} ({essay.grade})"


def render_placement_markdown(result: PlacementResult, ctx: ReportContext) -> str:
    """The execute report: students among the anchors, then the anchors' own order."""
    lines = [f"# Student placement report: {ctx.batch_label}", ""]
    if ctx.simulated:
        lines += [
            "> **Simulated judge — not an LLM; numbers show the pipeline, not a prompt's "
            "quality.**",
            "",
        ]
    lines += [
        f"Generated {ctx.created_at} · judge `{ctx.judge_provider}` / `{ctx.judge_model}` "
        f"· signature `{ctx.run_signature}` · {result.successful} successful, "
        f"{result.failed} failed comparisons"
        + (" · BT penalised (not strongly connected)" if result.regularised else ""),
        "",
        "The indicative grade is the grade of the anchor nearest on the scale; it is a "
        "reading aid, not a calibrated grade projection.",
        "",
        "## Students",
        "",
        "| Rank | Student | θ ± SE | Wins | Losses | Below anchor | Above anchor | "
        "Indicative grade |",
        "| ---: | --- | ---: | ---: | ---: | --- | --- | --- |",
    ]
    for s in result.students:
        lines.append(
            f"| {s.rank} | {s.label} | {fmt_num(s.theta, 2)} ± {fmt_num(s.se, 2)} | "
            f"{s.wins} | {s.losses} | {s.below or '—'} | {s.above or '—'} | "
            f"{s.indicative_grade or '—'} |"
        )
    lines += [
        "",
        "## Anchors on the same scale",
        "",
        "| Anchor | Grade | θ |",
        "| --- | --- | ---: |",
    ]
    lines += [
        f"| {label} | {grade} | {fmt_num(theta, 2)} |"
        for label, grade, theta in result.anchors_on_scale
    ]
    if result.psychometrics is not None:
        lines += ["", render_psychometrics_markdown(result.psychometrics)]
    lines += [
        "",
        "## Prompts used",
        "",
        f"- System prompt: `{ctx.system_prompt.name}`",
        f"- Rubric: `{ctx.rubric.name}`",
        "",
    ]
    return "\n".join(lines)


def print_placement_summary(result: PlacementResult, console: Console) -> None:
    """A compact terminal table of the students' placement."""
    table = Table(title="Student placement")
    for column in ("rank", "student", "θ", "between", "indicative grade"):
        table.add_column(column)
    for s in result.students:
        table.add_row(
            str(s.rank),
            s.label,
            fmt_num(s.theta, 2),
            f"{s.below or '—'} … {s.above or '—'}",
            s.indicative_grade or "—",
        )
    console.print(table)
