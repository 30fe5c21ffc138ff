"""The execute report as markdown and as a terminal table."""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Console
from rich.table import Table

from eng5_runner.reports.context import ReportContext
from eng5_runner.reports.markdown import cell, escape_text, fmt_num
from eng5_runner.reports.placement.models import PlacementResult
from eng5_runner.reports.psychometrics import render_psychometrics_markdown
from eng5_runner.stats.projection import UNCERTAIN_BELOW


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
