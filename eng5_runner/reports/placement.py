"""Execute mode: place student essays on the anchors' scale and project their grades.

One Bradley–Terry fit over every essay (anchors and students; with the slot effect when
``report.position_model=global``), or, with a locked anchor scale, the students' scores
linked to the anchors' fixed θ.  A proportional-odds model of the anchors' grades on their
θ (``stats.projection``) then gives every student grade probabilities, a projected grade
(the most probable) and an expected grade; leave-one-anchor-out validation says how often
such a projection matches the expert grade.  This replaces the nearest-anchor "indicative
grade" of earlier versions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
from pydantic import Field
from rich.console import Console
from rich.table import Table

from eng5_runner.engine.records import JudgementRecord
from eng5_runner.inputs.grade_scales import GRADE_SCALES, UnknownGradeError, grade_rank
from eng5_runner.inputs.inventory import Essay
from eng5_runner.reports.anchor_scale import LockedScale
from eng5_runner.reports.context import Frozen, ReportContext, count_records, finite
from eng5_runner.reports.markdown import cell, escape_text, fmt_num
from eng5_runner.reports.position import PositionSummary, bt_inputs, position_summary
from eng5_runner.reports.psychometrics import (
    Psychometrics,
    build_psychometrics,
    render_psychometrics_markdown,
)
from eng5_runner.stats.position import consecutive_repeats
from eng5_runner.stats.projection import UNCERTAIN_BELOW


class StudentPlacement(Frozen):
    """One student essay on the anchors' scale, with its grade projection."""

    essay_id: str
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
    projected_grade: str | None = None
    grade_probs: dict[str, float] = {}
    """Grade → probability (sums to 1), best grade first."""
    expected_grade_rank: float | None = None
    """Σ P(grade) × scale rank (0 = the scale's best grade)."""
    max_prob: float | None = None
    uncertain: bool = False
    """No grade reaches ``UNCERTAIN_BELOW`` (0.5)."""
    cj_grade: str | None = None
    """huleedu backend: CJ's own projected letter grade, when it published one."""
    cj_confidence: str | None = None


class ProjectionSummary(Frozen):
    """The grade model and its leave-one-anchor-out validation (None: undefined)."""

    fitted: bool
    note: str | None = None
    grades: tuple[str, ...] = ()
    slope: float | None = None
    loo_n: int = 0
    projection_exact_loo: float | None = None
    projection_exact_loo_ci95: tuple[float, float] | None = None
    projection_within_one_loo: float | None = None
    projection_within_one_loo_ci95: tuple[float, float] | None = None
    projection_qwk_loo: float | None = None
    projection_qwk_loo_ci95: tuple[float, float] | None = None
    projection_rps_loo: float | None = None
    projection_rps_loo_ci95: tuple[float, float] | None = None


class PlacementResult(Frozen):
    """Students placed among the anchors of one execute run."""

    students: tuple[StudentPlacement, ...]
    anchors_on_scale: tuple[tuple[str, str, float | None], ...]
    successful: int
    failed: int
    regularised: bool
    targets_met: bool | None = None
    projection: ProjectionSummary = ProjectionSummary(fitted=False)
    position_fit: PositionSummary | None = None
    locked_scale: str | None = None
    """The anchor-align run whose anchor scale was reused (report.anchor_scale)."""
    reused_anchor_judgements: int = 0
    saved_cost_usd: float | None = None
    """Estimated cost of the anchor–anchor comparisons this run did not make."""

    def metrics(self) -> dict[str, float | int | list[float] | None]:
        """summary.json metrics (METRICS.md names)."""
        p = self.projection
        out: dict[str, float | int | list[float] | None] = {
            "students": len(self.students),
            "uncertain_students": sum(1 for s in self.students if s.uncertain),
            "projection_exact_loo": p.projection_exact_loo,
            "projection_within_one_loo": p.projection_within_one_loo,
            "projection_qwk_loo": p.projection_qwk_loo,
            "projection_rps_loo": p.projection_rps_loo,
        }
        if self.position_fit is not None:
            out |= self.position_fit.metrics()
        return out

    def student_rows(self) -> list[dict[str, Any]]:
        """The ``students`` list of summary.json."""
        return [
            {
                "essay_id": s.essay_id,
                "label": s.label,
                "theta": s.theta,
                "se": s.se,
                "projected_grade": s.projected_grade,
                "grade_probs": s.grade_probs,
                "expected_grade_rank": s.expected_grade_rank,
                "uncertain": s.uncertain,
                **({"cj_grade": s.cj_grade} if s.cj_grade is not None else {}),
            }
            for s in self.students
        ]

    psychometrics: Psychometrics | None = Field(None, exclude=True)
    """Misfit, split-half reliability, bias audits (the artefact's top-level object)."""


def build_placement(
    records: Sequence[JudgementRecord],
    essays: Sequence[Essay],
    *,
    ridge: float | None = None,
    grade_scale: str = "eng5_np_legacy_9_step",
    position_model: Literal["none", "global"] = "none",
    outcome_kind: Literal["binary", "confidence"] = "binary",
    locked: LockedScale | None = None,
    cj_scores: Sequence[Mapping[str, Any]] | None = None,
    resamples: int = 1000,
    seed: int = 0,
    rounds: Sequence[Any] | None = None,
) -> PlacementResult:
    """Fit BT (or link to ``locked``), place each student and project its grade."""
    index = {essay.essay_id: i for i, essay in enumerate(essays)}
    n = len(essays)
    inputs = bt_inputs(records, index, outcome_kind)
    winners = np.asarray(inputs.winners, dtype=np.int64)
    losers = np.asarray(inputs.losers, dtype=np.int64)
    position: PositionSummary | None
    if locked is None:
        fit = inputs.fit(n, ridge=ridge, position_model=position_model)
        theta_arr, se_arr = np.asarray(fit.theta), np.asarray(fit.se)
        regularised = fit.regularised
        position = position_summary(
            fit, records, position_model=position_model, match=consecutive_repeats
        )
    else:
        theta_arr, se_arr = _linked(inputs, essays, locked, ridge, position_model)
        fitted_b = position_model == "global" and locked.slot_effect is not None
        paired = position_summary(
            None, records, position_model=position_model, match=consecutive_repeats
        )
        position = paired.model_copy(
            update={
                "slot_effect": locked.slot_effect if fitted_b else None,
                "slot_effect_ci95": locked.slot_effect_ci95 if fitted_b else None,
                "slot_effect_note": None if fitted_b else "not estimated on the locked scale",
            }
        )
        regularised = False
    theta = [finite(float(t)) for t in theta_arr]
    se = [finite(float(s)) for s in se_arr]
    order = sorted(range(n), key=lambda i: -(theta[i] or 0.0))
    rank = {i: r for r, i in enumerate(order, start=1)}
    wins = np.bincount(winners, minlength=n)
    losses = np.bincount(losers, minlength=n)
    anchors = [i for i, e in enumerate(essays) if e.role == "anchor"]
    projector, summary = _projection(essays, anchors, theta, se, grade_scale, resamples, seed)
    cj = {str(s.get("essay_id")): s for s in cj_scores or () if not s.get("is_anchor")}
    students = []
    for i, essay in enumerate(essays):
        if essay.role != "student":
            continue
        t = theta[i] or 0.0
        higher = [a for a in anchors if (theta[a] or 0.0) >= t]
        lower = [a for a in anchors if (theta[a] or 0.0) < t]
        above = min(higher, key=lambda a: theta[a] or 0.0) if higher else None
        below = max(lower, key=lambda a: theta[a] or 0.0) if lower else None
        grade_fields = projector(t, se[i] or 0.0) if projector else {}
        published = cj.get(essay.essay_id, {})
        students.append(
            StudentPlacement(
                essay_id=essay.essay_id,
                label=essay.label,
                file_name=essay.source.path.name,
                theta=theta[i],
                se=se[i],
                rank=rank[i],
                wins=int(wins[i]),
                losses=int(losses[i]),
                above=_name(essays[above]) if above is not None else None,
                below=_name(essays[below]) if below is not None else None,
                cj_grade=published.get("letter_grade"),
                cj_confidence=published.get("confidence_label"),
                **grade_fields,
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
        regularised=regularised,
        projection=summary,
        position_fit=position,
        locked_scale=locked.run_dir if locked else None,
        reused_anchor_judgements=locked.anchor_judgements if locked else 0,
        psychometrics=build_psychometrics(
            records, essays, grade_scale=grade_scale, ridge=ridge, rounds=rounds
        ),
    )


def _linked(
    inputs: Any,
    essays: Sequence[Essay],
    locked: LockedScale,
    ridge: float | None,
    position_model: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Students' θ with the anchors' θ (and b) fixed at the locked scale."""
    from eng5_runner.stats.linked import fit_linked

    fixed_of = locked.theta_of()
    fixed = np.array([fixed_of.get(e.essay_id, (np.nan, 0.0))[0] for e in essays])
    anchor_se = np.array([fixed_of.get(e.essay_id, (0.0, 0.0))[1] for e in essays])
    w = np.asarray(inputs.winners, dtype=np.int64)
    lo = np.asarray(inputs.losers, dtype=np.int64)
    in_a = np.asarray(inputs.winner_in_slot_a, dtype=bool)
    y = np.ones(w.size) if inputs.outcomes is None else np.asarray(inputs.outcomes)
    keep = np.isnan(fixed[w]) | np.isnan(fixed[lo])  # comparisons involving a student
    b = locked.slot_effect if position_model == "global" else 0.0
    linked = fit_linked(
        fixed,
        np.where(in_a, w, lo)[keep],
        np.where(in_a, lo, w)[keep],
        np.where(in_a, y, 1.0 - y)[keep],
        fixed_slot_effect=b or 0.0,
        ridge=ridge,
    )
    return linked.theta, np.where(np.isnan(fixed), linked.se, anchor_se)


def _projection(
    essays: Sequence[Essay],
    anchors: Sequence[int],
    theta: Sequence[float | None],
    se: Sequence[float | None],
    grade_scale: str,
    resamples: int,
    seed: int,
) -> tuple[Any, ProjectionSummary]:
    """The fitted projector (θ, SE → StudentPlacement fields) and its LOO validation."""
    from eng5_runner.stats.projection import fit_grade_projection, leave_one_anchor_out

    scale = GRADE_SCALES.get(grade_scale, ())
    rows = []
    for a in anchors:
        try:
            rank = grade_rank(essays[a].grade or "", grade_scale)
        except UnknownGradeError:
            continue
        if theta[a] is not None:
            rows.append((theta[a] or 0.0, se[a] or 0.0, rank))
    if len({r for _, _, r in rows}) < 2:
        return None, ProjectionSummary(
            fitted=False, note="grade projection needs anchors of at least two grades"
        )
    t = [r[0] for r in rows]
    s = [r[1] for r in rows]
    ranks = [r[2] for r in rows]
    model = fit_grade_projection(t, s, ranks)
    grades = tuple(scale[c] for c in model.categories)
    loo = leave_one_anchor_out(t, s, ranks, resamples=resamples, seed=seed)

    def project(theta_i: float, se_i: float) -> dict[str, Any]:
        probs = model.probabilities([theta_i], [se_i])[0]
        best = int(np.argmax(probs))
        return {
            "projected_grade": grades[best],
            "grade_probs": {g: round(float(p), 6) for g, p in zip(grades, probs, strict=True)},
            "expected_grade_rank": finite(float(model.expected_rank(probs[None, :])[0])),
            "max_prob": float(probs[best]),
            "uncertain": bool(probs[best] < UNCERTAIN_BELOW),
        }

    return project, ProjectionSummary(
        fitted=True,
        note=None if model.converged else "the grade model's optimiser did not fully converge",
        grades=grades,
        slope=finite(model.slope),
        loo_n=loo.n,
        projection_exact_loo=loo.exact,
        projection_exact_loo_ci95=loo.exact_ci95,
        projection_within_one_loo=loo.within_one,
        projection_within_one_loo_ci95=loo.within_one_ci95,
        projection_qwk_loo=finite(loo.qwk) if loo.qwk is not None else None,
        projection_qwk_loo_ci95=loo.qwk_ci95,
        projection_rps_loo=loo.rps,
        projection_rps_loo_ci95=loo.rps_ci95,
    )


def _name(essay: Essay) -> str:
    return f"{essay.label} ({essay.grade})"


def probability_bar(probs: Mapping[str, float], width: int = 10) -> str:
    """A text bar across the grades: ``A ▏B ██▌C+ ████████…`` (best grade first)."""
    blocks = " ▏▎▍▌▋▊▉█"
    parts = []
    for grade, p in probs.items():
        cells = p * width
        full = int(cells)
        rest = blocks[int((cells - full) * 8)] if full < width else ""
        bar = ("█" * full + rest.strip()) or "·"
        parts.append(f"{grade} {bar}")
    return " ".join(parts)


def _fmt_ci(ci: tuple[float, float] | None, digits: int = 2, pct: bool = False) -> str:
    if ci is None:
        return "—"
    if pct:
        return f"[{ci[0] * 100:.0f}%, {ci[1] * 100:.0f}%]"
    return f"[{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"


def _fmt_pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def render_placement_markdown(result: PlacementResult, ctx: ReportContext) -> str:
    """The execute report: projected grades, validation, position, then the anchors."""
    from eng5_runner.reports.position import render_position_markdown

    lines = [f"# Student placement report: {escape_text(ctx.batch_label)}", ""]
    if ctx.status_banner:
        head, *rest = ctx.status_banner
        lines += [f"> **{escape_text(head)}**", *(f"> - {escape_text(x)}" for x in rest), ""]
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
    ]
    if result.locked_scale:
        saving = (
            f", an estimated ${result.saved_cost_usd:.4f} not spent"
            if result.saved_cost_usd is not None
            else ""
        )
        lines += [
            f"Locked anchor scale from `{result.locked_scale}`: its "
            f"{result.reused_anchor_judgements} anchor–anchor judgements were reused and no "
            f"anchor pair was judged again{saving}. Students are linked to the anchors' "
            "fixed θ.",
            "",
        ]
    p = result.projection
    cj_column = any(s.cj_grade for s in result.students)
    lines += ["## Projected grades", ""]
    if not p.fitted:
        lines += [f"No grade projection: {p.note}.", ""]
    else:
        lines += [
            "Grades come from a proportional-odds (cumulative logit) model of the anchors' "
            "expert grades on their BT scores, integrating each essay's SE. The bar shows "
            "the probability of each grade; **uncertain** marks a student whose most "
            f"probable grade has less than {UNCERTAIN_BELOW:.0%} probability.",
            "",
            "| Rank | Student | θ ± SE | Projected grade | P | Expected | "
            + ("CJ grade | " if cj_column else "")
            + "Probabilities | Between anchors |",
            "| ---: | --- | ---: | --- | ---: | ---: | "
            + ("--- | " if cj_column else "")
            + "--- | --- |",
        ]
        for s in result.students:
            flag = " **uncertain**" if s.uncertain else ""
            expected = fmt_num(s.expected_grade_rank, 1)
            cj = f"{s.cj_grade or '—'} | " if cj_column else ""
            lines.append(
                f"| {s.rank} | {cell(s.label)} | {fmt_num(s.theta, 2)} ± {fmt_num(s.se, 2)} | "
                f"{s.projected_grade or '—'}{flag} | {_fmt_pct(s.max_prob)} | {expected} | "
                f"{cj}`{probability_bar(s.grade_probs)}` | "
                f"{cell(s.below or '—')} … {cell(s.above or '—')} |"
            )
        uncertain = sum(1 for s in result.students if s.uncertain)
        lines += [
            "",
            f"{uncertain} of {len(result.students)} student(s) uncertain. *Expected* is "
            "Σ P(grade) × grade position (0 = the scale's best grade).",
            "",
            "## How accurate is the projection? (leave one anchor out)",
            "",
            f"Each of {p.loo_n} anchors was projected from a model fitted without its grade.",
            "",
            "| Measure | Value | 95% interval |",
            "| --- | ---: | --- |",
            f"| Exact grade | {_fmt_pct(p.projection_exact_loo)} | "
            f"{_fmt_ci(p.projection_exact_loo_ci95, pct=True)} (Wilson) |",
            f"| Within one grade | {_fmt_pct(p.projection_within_one_loo)} | "
            f"{_fmt_ci(p.projection_within_one_loo_ci95, pct=True)} (Wilson) |",
            f"| Quadratic weighted κ | {fmt_num(p.projection_qwk_loo, 2)} | "
            f"{_fmt_ci(p.projection_qwk_loo_ci95)} (bootstrap over anchors) |",
            f"| Ranked probability score (0 = perfect) | {fmt_num(p.projection_rps_loo, 3)} | "
            f"{_fmt_ci(p.projection_rps_loo_ci95, 3)} (t) |",
            "",
        ]
        if p.note:
            lines += [f"Note: {p.note}.", ""]
    if cj_column:
        lines += [
            "CJ's grade is CJ's own projection (per-grade Gaussian calibration of anchor "
            "scores); ours is the ordinal model above, validated on the anchors.",
            "",
        ]
    position = render_position_markdown(result.position_fit)
    if position:
        lines += [position, ""]
    lines += [
        "## Anchors on the same scale",
        "",
        "| Anchor | Grade | θ |",
        "| --- | --- | ---: |",
    ]
    lines += [
        f"| {cell(label)} | {cell(grade)} | {fmt_num(theta, 2)} |"
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
    """A compact terminal table of the students' placement and projected grades."""
    table = Table(title="Student placement")
    for column in ("rank", "student", "θ", "grade", "P", "between"):
        table.add_column(column)
    for s in result.students:
        table.add_row(
            str(s.rank),
            s.label,
            fmt_num(s.theta, 2),
            (s.projected_grade or "—") + (" (uncertain)" if s.uncertain else ""),
            _fmt_pct(s.max_prob),
            f"{s.below or '—'} … {s.above or '—'}",
        )
    console.print(table)
    p = result.projection
    if p.fitted:
        console.print(
            f"Leave-one-anchor-out: exact {_fmt_pct(p.projection_exact_loo)}, within one "
            f"{_fmt_pct(p.projection_within_one_loo)}, QWK {fmt_num(p.projection_qwk_loo, 2)}"
        )


__all__ = [
    "PlacementResult",
    "ProjectionSummary",
    "StudentPlacement",
    "build_placement",
    "print_placement_summary",
    "render_placement_markdown",
]
