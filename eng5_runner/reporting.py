"""Write a finished run's outputs: comparisons, plots, report, artefact, summary."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from eng5_runner.atomic import write_text_atomic
from eng5_runner.engine.records import JudgementRecord, PairRequest
from eng5_runner.errors import GateFailed
from eng5_runner.inventory import RunnerInventory
from eng5_runner.paths import RunnerPaths
from eng5_runner.provenance import git_sha, run_signature
from eng5_runner.settings import RunnerSettings

if TYPE_CHECKING:
    from eng5_runner.judging import JudgedRun
    from eng5_runner.reports.context import ReportContext


def run_overrides(paths: RunnerPaths) -> list[str]:
    """The command-line overrides recorded in the run's manifest (if any)."""
    try:
        return list(json.loads(paths.manifest.read_text(encoding="utf-8")).get("overrides", []))
    except (OSError, ValueError):
        return []


def write_comparisons(paths: RunnerPaths, records: Sequence[JudgementRecord]) -> None:
    """``comparisons.jsonl``: one judgement record per line, written atomically."""
    lines = (record.model_dump_json() for record in records)
    write_text_atomic(paths.comparisons, "".join(line + "\n" for line in lines))


def report_context(
    settings: RunnerSettings,
    inventory: RunnerInventory,
    paths: RunnerPaths,
    judged: JudgedRun | None = None,
    *,
    warnings: Sequence[str] = (),
) -> ReportContext:
    """Provenance shared by every report of this run."""
    from eng5_runner.reports.context import ReportContext

    return ReportContext.from_settings(
        settings,
        run_signature=run_signature(settings),
        git_sha=git_sha(),
        records=judged.records if judged else (),
        overrides=run_overrides(paths),
        inventory=inventory,
        partial_data=judged.partial_data if judged else False,
        warnings=[*(judged.warnings if judged else ()), *warnings],
        batch_uuid=judged.batch_uuid if judged else None,
    )


def finish_run(
    settings: RunnerSettings,
    inventory: RunnerInventory,
    paths: RunnerPaths,
    judged: JudgedRun,
    schedule: Sequence[PairRequest],
    result: Any,
    ctx: ReportContext,
    kind: str,
) -> int:
    """Plots, report, artefact and summary for an alignment or boundary result.

    Prints the terminal summary and the report path last; raises GateFailed
    (after everything is written) when ``report.gate`` is on and a target is missed.
    """
    from eng5_runner.console import console
    from eng5_runner.reports import alignment, boundary
    from eng5_runner.reports.artefact import build_artefact, write_artefact
    from eng5_runner.reports.summary import summary_from_alignment, summary_from_boundary

    module: Any = alignment if kind == "alignment" else boundary
    plots = []
    if settings.report.plots:
        writer = (
            module.write_alignment_plots if kind == "alignment" else module.write_boundary_plots
        )
        plots = writer(result, paths.plots_dir)
    render = (
        module.render_alignment_markdown if kind == "alignment" else module.render_boundary_markdown
    )
    write_text_atomic(paths.report, render(result, ctx, plots=plots))
    status: Literal["partial", "complete"] = "partial" if judged.partial_data else "complete"
    artefact = build_artefact(
        ctx=ctx,
        records=judged.records,
        essays=inventory.essays,
        mode_result=result,
        status=status,
        requests=schedule,
        cj_published_scores=judged.cj_published_scores,
    )
    write_artefact(paths.artefact, artefact)
    summarise = summary_from_alignment if kind == "alignment" else summary_from_boundary
    summarise(result, ctx=ctx, status=status).write(paths.summary)
    printer = (
        module.print_alignment_summary if kind == "alignment" else module.print_boundary_summary
    )
    printer(result, console)
    console.print(f"Report: [bold]{paths.report}[/]")
    if settings.report.gate and not result.targets_met:
        raise GateFailed(
            "report.gate=true and at least one target was missed",
            hint=f"see the targets table in {paths.report}",
        )
    return 0
