"""Write a finished run's outputs: comparisons, plots, report, artefact, summary."""

from __future__ import annotations

import json
from collections.abc import Sequence
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

    Everything is built in memory first and then written (each file atomically);
    the terminal summary and the report path are printed last. Raises GateFailed,
    after everything is written, when ``report.gate`` is on and a target is missed.
    """
    from eng5_runner.output.console import console, print_path
    from eng5_runner.reports import alignment, boundary
    from eng5_runner.reports.artefact import build_artefact, write_artefact
    from eng5_runner.reports.baseline import (
        baseline_summary,
        compare_with_baseline,
        load_baseline,
        render_baseline_markdown,
    )
    from eng5_runner.reports.paired_runs import verdict_sentence
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
    baseline = load_baseline(settings.report.baseline) if settings.report.baseline else None
    plots = write_plots(result, paths.plots_dir) if settings.report.plots else []
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
    markdown = render(result, ctx, plots=plots)
    summary = summarise(result, ctx=ctx, status=status)
    sentence = None
    if baseline is not None and settings.report.baseline is not None:
        comparison = compare_with_baseline(
            artefact,
            baseline,
            settings.report.baseline,
            resamples=settings.report.bootstrap.resamples,
            seed=settings.seed,
            ridge=settings.report.ridge,
        )
        markdown += "\n" + render_baseline_markdown(comparison)
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
    write_text_atomic(paths.report, markdown)
    write_artefact(paths.artefact, artefact)
    summary.write(paths.summary)
    print_summary(result, console)
    if sentence is not None:
        console.print(f"[bold]Baseline:[/] {sentence}")
    print_path("Report", paths.report)
    if settings.report.gate and not result.targets_met:
        raise GateFailed(
            "report.gate=true and at least one target was missed",
            hint=f"see the targets table in {paths.report}",
        )
    return 0
