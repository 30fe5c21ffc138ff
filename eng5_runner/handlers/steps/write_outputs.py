"""Write a finished run's outputs: comparisons, plots, report, artefact, summary."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import partial
from pathlib import Path
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
    from eng5_runner.handlers.steps.run_outcome import assess
    from eng5_runner.reports.context import ReportContext

    ctx = ReportContext.from_settings(
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
    if judged is None:
        return ctx
    status = assess(settings, judged)
    return ctx.model_copy(
        update={
            "status": status.status,
            "status_banner": tuple(status.banner_lines()),
            "partial_data": ctx.partial_data or status.partial_data,
        }
    )


def write_html_report(
    paths: RunnerPaths,
    artefact: dict[str, Any],
    summary: dict[str, Any],
    inventory: RunnerInventory,
    baseline: dict[str, Any] | None = None,
) -> Path | None:
    """``report.html`` from the in-memory artefact and summary; a failure is only a warning."""
    from eng5_runner.output.console import print_warning
    from eng5_runner.reports.html import write_run_html
    from eng5_runner.reports.html.records import read_jsonl

    try:
        texts = {essay.essay_id: essay.text for essay in inventory.essays}
        records = artefact.get("comparisons") or read_jsonl(paths.comparisons)
        return write_run_html(
            paths.run_dir, artefact, summary, records=records, texts=texts, baseline=baseline
        )
    except Exception as exc:  # noqa: BLE001 - the HTML page must never cost the run its results
        print_warning(f"report.html was not written: {type(exc).__name__}: {exc}")
        return None


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
    regardless). Files are written atomically: artefact, summary, report.html, and
    report.md last, so a report on disk always has its artefact. The terminal summary,
    the status banner and the report path are printed last. Then
    :func:`run_outcome.conclude` raises for a fatal error or a partial/failed run; else
    GateFailed when ``report.gate`` is on and a target is missed.
    """
    from eng5_runner.handlers.steps.run_outcome import (
        assess,
        conclude,
        honest_metrics,
        honest_result,
        status_fields,
    )
    from eng5_runner.output.console import console, err_console, print_path
    from eng5_runner.reports import alignment, boundary
    from eng5_runner.reports.artefact import build_artefact, write_artefact
    from eng5_runner.reports.palette import plot_subtitle
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
    run_status = assess(settings, judged)
    result = honest_result(result, run_status)
    status = run_status.status
    drawing = None
    if settings.report.plots:
        subtitle = plot_subtitle(ctx)
        draw: Any = partial(write_plots, subtitle=subtitle)
        plot_cache = plot_cache_dir(settings)
        if plot_cache is not None:
            draw = partial(cached_draw, write_plots, cache_dir=plot_cache, subtitle=subtitle)
        drawing = PlotJob(draw, result, paths.plots_dir)
    artefact = build_artefact(
        ctx=ctx,
        records=judged.records,
        essays=inventory.essays,
        mode_result=result,
        status=status,
        requests=schedule,
        cj_published_scores=judged.cj_published_scores,
        run_outcome=status_fields(run_status),
        event_counts=judged.event_counts,
        sealed=False,
    )
    artefact["metrics"] = honest_metrics(artefact["metrics"], run_status)
    summary = summarise(result, ctx=ctx, status=status)
    summary = summary.model_copy(update={"metrics": honest_metrics(summary.metrics, run_status)})
    sentence = None
    baseline_md = ""
    if baseline is not None and settings.report.baseline is not None:
        from eng5_runner.reports.baseline import (
            baseline_summary,
            compare_with_baseline,
            render_baseline_markdown,
        )
        from eng5_runner.reports.paired_runs import verdict_sentence

        comparison = compare_with_baseline(
            artefact,
            baseline,
            settings.report.baseline,
            resamples=settings.report.bootstrap.resamples,
            seed=settings.seed,
            ridge=settings.report.ridge,
        )
        baseline_md = "\n" + render_baseline_markdown(comparison)
        paired = baseline_summary(comparison)
        artefact["extra"] = {
            **(artefact.get("extra") or {}),
            "baseline": comparison.model_dump(mode="json"),
        }
        if paired is not None:
            artefact["baseline"] = paired
        if comparison.paired is not None:
            sentence = verdict_sentence(comparison.paired)
        summary = summary.model_copy(
            update={
                "metrics": {
                    **summary.metrics,
                    "baseline_regressions": len(comparison.regressions),
                },
                "baseline": paired,
            }
        )
    plots = drawing.wait() if drawing is not None else []
    if drawing is not None and drawing.warning is not None:
        ctx = ctx.with_warnings(drawing.warning)
        artefact["runner_status"]["warnings"].append(drawing.warning)
        err_console.print(f"[yellow]warning:[/] {drawing.warning}")
    write_artefact(paths.artefact, artefact)
    summary.write(paths.summary)
    html = write_html_report(paths, artefact, summary.model_dump(mode="json"), inventory, baseline)
    write_text_atomic(paths.report, render(result, ctx, plots=plots) + baseline_md)
    print_summary(result, console)
    if sentence is not None:
        console.print(f"[bold]Baseline:[/] {sentence}")
    print_path("Report", paths.report)
    if html is not None:
        print_path("HTML report", html)
    conclude(run_status, judged, paths)
    if settings.report.gate and not result.targets_met:
        raise GateFailed(
            "report.gate=true and at least one target was missed",
            hint=f"see the targets table in {paths.report}",
        )
    return 0
