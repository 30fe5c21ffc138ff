"""Write a finished run's outputs: comparisons, plots, report, artefact, summary."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

from eng5_runner.engine.records import JudgementRecord, PairRequest
from eng5_runner.errors import GateFailed
from eng5_runner.inputs.inventory import RunnerInventory
from eng5_runner.output.atomic import write_text_atomic
from eng5_runner.output.paths import RunnerPaths
from eng5_runner.output.provenance import git_sha, run_signature
from eng5_runner.settings.models import RunnerSettings

if TYPE_CHECKING:
    from eng5_runner.handlers.steps.backend_judgements import JudgedRun
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


def check_report_inputs(settings: RunnerSettings) -> None:
    """Fail before any judging when a report input (the baseline run) is unusable."""
    if settings.report.baseline is not None:
        from eng5_runner.reports.baseline import load_baseline

        load_baseline(settings.report.baseline)


def finish_run(
    settings: RunnerSettings,
    inventory: RunnerInventory,
    paths: RunnerPaths,
    judged: JudgedRun,
    schedule: Sequence[PairRequest],
    result: Any,
    ctx: ReportContext,
    kind: Literal["alignment", "boundary"],
) -> int:
    """Plots, report, artefact and summary for an alignment or boundary result.

    The plots are drawn in a background thread while the artefact and summary are
    built; a plotting failure is a warning (report, artefact and summary are written
    regardless). Artefact and summary are written first, the report last; the terminal
    summary and the report path are printed after. Raises GateFailed, after everything
    is written, when ``report.gate`` is on and a target is missed.
    """
    from eng5_runner.output.console import console, err_console, print_path
    from eng5_runner.reports import alignment, boundary
    from eng5_runner.reports.artefact import build_artefact, write_artefact
    from eng5_runner.reports.plot_cache import cached_draw, plot_cache_dir
    from eng5_runner.reports.plot_job import PlotJob
    from eng5_runner.reports.summary import summary_from_alignment, summary_from_boundary

    steps: tuple[Any, Any, Any, Any]
    if kind == "alignment":
        steps = (
            alignment.write_alignment_plots,
            alignment.render_alignment_markdown,
            summary_from_alignment,
            alignment.print_alignment_summary,
        )
    else:
        steps = (
            boundary.write_boundary_plots,
            boundary.render_boundary_markdown,
            summary_from_boundary,
            boundary.print_boundary_summary,
        )
    write_plots, render, summarise, print_summary = steps
    baseline = None
    if settings.report.baseline:
        from eng5_runner.reports.baseline import load_baseline

        baseline = load_baseline(settings.report.baseline)
    drawing = None
    if settings.report.plots:
        plot_cache = plot_cache_dir(settings)
        if plot_cache is not None:
            write_plots = partial(cached_draw, write_plots, cache_dir=plot_cache)
        drawing = PlotJob(write_plots, result, paths.plots_dir)
    status: Literal["partial", "complete"] = "partial" if judged.partial_data else "complete"
    artefact = build_artefact(
        ctx=ctx,
        records=judged.records,
        essays=inventory.essays,
        mode_result=result,
        status=status,
        requests=schedule,
        cj_published_scores=judged.cj_published_scores,
        sealed=False,
    )
    summary = summarise(result, ctx=ctx, status=status)
    baseline_md = ""
    if baseline is not None and settings.report.baseline is not None:
        from eng5_runner.reports.baseline import compare_with_baseline, render_baseline_markdown

        comparison = compare_with_baseline(artefact, baseline, settings.report.baseline)
        baseline_md = "\n" + render_baseline_markdown(comparison)
        artefact["extra"] = {
            **(artefact.get("extra") or {}),
            "baseline": comparison.model_dump(mode="json"),
        }
        summary = summary.model_copy(
            update={
                "metrics": {**summary.metrics, "baseline_regressions": len(comparison.regressions)}
            }
        )
    plots = drawing.wait() if drawing is not None else []
    if drawing is not None and drawing.warning is not None:
        ctx = ctx.with_warnings(drawing.warning)
        artefact["runner_status"]["warnings"].append(drawing.warning)
        err_console.print(f"[yellow]warning:[/] {drawing.warning}")
    write_artefact(paths.artefact, artefact)
    summary.write(paths.summary)
    write_text_atomic(paths.report, render(result, ctx, plots=plots) + baseline_md)
    print_summary(result, console)
    print_path("Report", paths.report)
    if settings.report.gate and not result.targets_met:
        raise GateFailed(
            "report.gate=true and at least one target was missed",
            hint=f"see the targets table in {paths.report}",
        )
    return 0
