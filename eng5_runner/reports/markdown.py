"""Markdown building blocks shared by the reports: numbers, tables, badges, sections.

Every formatter renders an undefined value (None) as an em dash, so a report
never shows ``nan`` or ``inf``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from eng5_runner.reports.context import FailedJudgement, ReportContext, TargetCheck

DASH = "—"
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
SIMULATED_BANNER = (
    "Simulated judge — not an LLM; numbers show the pipeline, not a prompt's quality."
)

PLOT_TITLES = {
    "bt_scale": "Bradley–Terry scale with 95% intervals",
    "win_matrix": "Win matrix",
    "boundary_win_rates": "Higher-grade win rate per pair",
    "boundary_slot_a": "Slot-A win share per pair",
}


def fmt_num(value: float | None, digits: int = 3) -> str:
    """A fixed-point number, or an em dash."""
    return DASH if value is None else f"{value:.{digits}f}"


def fmt_int(value: float | None) -> str:
    return DASH if value is None else str(int(round(value)))


def fmt_pct(value: float | None, digits: int = 0) -> str:
    """A share in 0..1 as a percentage: ``0.5`` → ``50%``."""
    return DASH if value is None else f"{value * 100:.{digits}f}%"


def fmt_p(value: float | None) -> str:
    """A p-value: 3 significant decimals, ``< 0.001`` below that."""
    if value is None:
        return DASH
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def fmt_interval(
    low: float | None, high: float | None, *, pct: bool = False, digits: int | None = None
) -> str:
    """``[low, high]``, or an em dash when either end is undefined."""
    if low is None or high is None:
        return DASH
    if pct:
        d = 0 if digits is None else digits
        return f"[{fmt_pct(low, d)}, {fmt_pct(high, d)}]"
    d = 3 if digits is None else digits
    return f"[{fmt_num(low, d)}, {fmt_num(high, d)}]"


def fmt_target_value(check: TargetCheck, value: float | None) -> str:
    if check.integer:
        return fmt_int(value)
    return (
        fmt_p(value)
        if check.name.endswith("_p") and value is not None and value < 0.001
        else fmt_num(value)
    )


def fmt_check(check: TargetCheck) -> tuple[str, str]:
    """(value, threshold) shown with enough digits that they never look equal while the
    value is on the other side of the threshold: p = 0.0498 against 0.05 shows as
    ``0.0498`` / ``0.0500``, not ``0.050`` / ``0.050``."""
    value, limit = check.value, check.threshold
    if check.integer or value is None or value == limit:
        return fmt_target_value(check, value), fmt_target_value(check, limit)
    shown = fmt_target_value(check, value), fmt_target_value(check, limit)
    digits = 3
    while shown[0] == shown[1]:
        digits += 1
        if digits > 12:
            break
        shown = fmt_num(value, digits), fmt_num(limit, digits)
    if shown[0] == shown[1]:  # below 1e-12 apart: state the side explicitly
        return f"{shown[0]} ({'above' if value > limit else 'below'})", shown[1]
    return shown


def badge(passed: bool | None) -> str:
    """Pass/fail badge; None (no target, or not checkable) → em dash."""
    if passed is None:
        return DASH
    return "✅ pass" if passed else "❌ fail"


def verdict(check: TargetCheck) -> str:
    """``pass`` / ``fail`` / ``n/a``: no value, or a partial run, is never a pass."""
    if check.value is None:
        return "n/a"
    if check.unverified:
        return "n/a (partial data)"
    return "pass" if check.passed else "fail"


def check_badge(check: TargetCheck) -> str:
    """The table badge of one target check (see :func:`verdict`)."""
    shown = verdict(check)
    if shown.startswith("n/a"):
        return "⚠️ " + shown
    return badge(check.passed)


def targets_met_line(met: bool, status: str) -> str:
    """``Targets met: …``; a partial or failed run never says pass."""
    shown = badge(met) if status == "complete" else f"⚠️ n/a (run {status})"
    return "Targets met: " + shown


def escape_text(value: object) -> str:
    """Untrusted text (judge output, ids, CSV values) made inert in markdown.

    Line breaks are folded, a ``<`` that could open a tag or an autolink becomes
    ``&lt;`` (no raw HTML), pipes are escaped (tables stay intact) and ``](`` is
    broken up (no links or images). Comparators such as ``<=`` stay as written.
    """
    text = _TAG_START.sub("&lt;", " ".join(str(value).split()))
    return text.replace("|", "\\|").replace("](", "]\\(")


def cell(value: object) -> str:
    """Text safe inside a table cell (see :func:`escape_text`)."""
    return escape_text(value if value is not None else DASH) or DASH


def truncate(text: str | None, limit: int = 120) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis."""
    if not text:
        return DASH
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], align: str = "") -> str:
    """A GitHub markdown table; ``align`` holds one of ``l c r`` per column (default l)."""
    marks = {"l": "---", "c": ":---:", "r": "---:"}
    spec = [marks.get(align[i] if i < len(align) else "l", "---") for i in range(len(headers))]
    lines = ["| " + " | ".join(cell(h) for h in headers) + " |", "| " + " | ".join(spec) + " |"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def fenced(text: str | None, info: str = "text") -> str:
    """A fenced block whose fence is longer than any backtick run inside ``text``."""
    body = text if text is not None else "(none)"
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{body.rstrip()}\n{fence}"


def section(title: str, *parts: str, level: int = 2) -> str:
    body = "\n\n".join(part for part in parts if part)
    return f"{'#' * level} {title}\n\n{body}".rstrip()


def document(*sections: str) -> str:
    """Join sections with blank lines; one trailing newline."""
    return "\n\n".join(s.strip("\n") for s in sections if s).rstrip() + "\n"


def header(title: str, ctx: ReportContext, warnings: Sequence[str] = ()) -> str:
    """Title, banners (simulated judge, partial data, warnings) and a one-line summary."""
    lines = [f"# {escape_text(title)}", ""]
    if ctx.status_banner:
        head, *rest = ctx.status_banner
        lines += [f"> **{escape_text(head)}**"]
        lines += [f"> - {escape_text(line)}" for line in rest]
        lines += [""]
    if ctx.simulated:
        lines += [f"> **{SIMULATED_BANNER}**", ""]
    if ctx.simulated_variant:
        lines += [
            "> **Simulation:** this variant's simulated judge was set by its prompt options ("
            + "; ".join(ctx.simulated_variant)
            + "); the difference between variants is simulated, not a prompt effect.",
            "",
        ]
    if ctx.partial_data and not ctx.status_banner:
        lines += [
            "> **Partial data:** the run did not finish (timeout, interruption or missing "
            "results); the numbers use only the judgements that arrived.",
            "",
        ]
    for warning in dict.fromkeys((*ctx.warnings, *warnings)):
        lines += [f"> ⚠️ {escape_text(warning)}", ""]
    name = " ".join((ctx.experiment_name or "").replace("`", "'").split())
    experiment = f" · experiment `{name}`" if name else ""
    lines.append(
        f"Generated {ctx.created_at} · mode `{ctx.mode}` · judge `{ctx.judge_provider}` / "
        f"`{ctx.judge_model}` · signature `{ctx.run_signature}`{experiment}"
    )
    return "\n".join(lines)


def targets_table(checks: Sequence[TargetCheck], extra_rows: Sequence[Sequence[str]] = ()) -> str:
    """Metric | Value | Target | Result: the target checks first, then untargeted rows."""
    rows: list[Sequence[str]] = [
        (
            check.label,
            fmt_check(check)[0],
            f"{check.comparator} {fmt_check(check)[1]}",
            check_badge(check),
        )
        for check in checks
    ]
    rows += [tuple(row) + (DASH,) * (4 - len(row)) for row in extra_rows]
    return table(("Metric", "Value", "Target", "Result"), rows, align="lrrl")


def failures_section(failures: Sequence[FailedJudgement]) -> str:
    if not failures:
        return section("Failed judgements", "None: every comparison produced a judgement.")
    rows = [
        (f.comparison_id, f.essay_a, f.essay_b, f.iteration, truncate(f.reason, 160))
        for f in failures
    ]
    intro = f"{len(failures)} comparison(s) failed; they are left out of every metric."
    return section(
        "Failed judgements",
        intro,
        table(("Comparison", "Essay A", "Essay B", "Iteration", "Reason"), rows),
    )


def plots_section(plots: Sequence[Path | str]) -> str:
    """Relative links (``plots/<name>``), as the report sits next to the plots dir."""
    if not plots:
        return ""
    images = [
        f"![{PLOT_TITLES.get(Path(p).stem, Path(p).stem.replace('_', ' '))}](plots/{Path(p).name})"
        for p in plots
    ]
    return section("Plots", *images)


def prompts_section(ctx: ReportContext) -> str:
    parts = []
    for title, prompt in (("System prompt", ctx.system_prompt), ("Rubric", ctx.rubric)):
        digest = f" · sha256 `{prompt.sha256[:12]}`" if prompt.sha256 else ""
        text = prompt.text if prompt.text is not None else "(none: the judge's built-in default)"
        parts.append(f"### {title}: `{prompt.name}`{digest}\n\n{fenced(text)}")
    if ctx.assignment_included:
        digest = f" (sha256 `{ctx.assignment_sha256[:12]}`)" if ctx.assignment_sha256 else ""
        parts.append(f"The assignment `{ctx.assignment_name}`{digest} was shown to the judge.")
    else:
        parts.append("The assignment text was not shown to the judge.")
    return section("Prompts used", *parts)


def provenance_section(ctx: ReportContext) -> str:
    params = json.dumps(ctx.generation_params, sort_keys=True, default=str)
    rows = [
        ("Batch label", ctx.batch_label),
        ("Mode", ctx.mode),
        ("Backend", ctx.backend + (f" (batch {ctx.batch_uuid})" if ctx.batch_uuid else "")),
        ("Judge", ctx.judge_provider + (" — not an LLM" if ctx.simulated else "")),
        ("Model (configured)", ctx.judge_model),
        ("Models (as resolved)", ", ".join(ctx.models_observed) or DASH),
        ("Generation parameters", f"`{params}`"),
        ("Dataset", f"{ctx.dataset} ({ctx.grade_scale})"),
        ("Experiment", ctx.experiment_name or DASH),
        ("Overrides", ", ".join(f"`{o}`" for o in ctx.overrides) or DASH),
        ("Run signature", f"`{ctx.run_signature}`"),
        ("Git SHA", f"`{ctx.git_sha}`" if ctx.git_sha else "not a git checkout"),
        ("Runner version", ctx.runner_version),
        ("Judgements", f"{ctx.new_calls} new, {ctx.cache_hits} from the cache"),
        ("Generated", ctx.created_at),
    ]
    return section("Provenance", table(("Item", "Value"), rows))
