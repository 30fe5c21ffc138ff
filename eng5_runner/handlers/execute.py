"""EXECUTE: judge student essays together with the anchors and place them on the scale."""

from __future__ import annotations

from typing import Literal

from eng5_runner.errors import ConfigError
from eng5_runner.handlers.steps.backend_judgements import judge_schedule, submitted_without_results
from eng5_runner.handlers.steps.mode_schedule import build_schedule
from eng5_runner.handlers.steps.write_outputs import report_context, write_comparisons
from eng5_runner.inputs.inventory import RunnerInventory
from eng5_runner.output.atomic import write_text_atomic
from eng5_runner.output.console import console, print_path
from eng5_runner.output.paths import RunnerPaths
from eng5_runner.settings.models import RunnerSettings


class ExecuteHandler:
    """Local: one comparison net over anchors + students. HuleEdu: the CJ execute flow."""

    def execute(
        self, settings: RunnerSettings, inventory: RunnerInventory, paths: RunnerPaths
    ) -> int:
        from eng5_runner.reports.artefact import build_artefact, write_artefact
        from eng5_runner.reports.placement import (
            build_placement,
            print_placement_summary,
            render_placement_markdown,
        )
        from eng5_runner.reports.psychometrics import psychometrics_metrics
        from eng5_runner.reports.summary import write_run_summary

        if settings.backend.kind == "huleedu" and settings.backend.assignment_id is None:
            raise ConfigError(
                "execute on the huleedu backend needs backend.assignment_id",
                hint="set backend.assignment_id=<uuid>",
            )
        schedule = build_schedule(settings, inventory) if settings.backend.kind == "local" else []
        judged = judge_schedule(settings, inventory, schedule, paths)
        write_comparisons(paths, judged.records)
        if submitted_without_results(judged, settings):
            return 0
        result = build_placement(
            judged.records,
            inventory.essays,
            ridge=settings.report.ridge,
            grade_scale=inventory.grade_scale,
            rounds=judged.adaptive.rounds if judged.adaptive is not None else None,
        )
        ctx = report_context(settings, inventory, paths, judged)
        write_text_atomic(paths.report, render_placement_markdown(result, ctx))
        status: Literal["partial", "complete"] = "partial" if judged.partial_data else "complete"
        artefact = build_artefact(
            ctx=ctx,
            records=judged.records,
            essays=inventory.essays,
            mode_result=None,
            status=status,
            requests=judged.requests or schedule or None,
            extra={"placement": result.model_dump(mode="json")},
            cj_published_scores=judged.cj_published_scores,
            psychometrics=result.psychometrics,
        )
        write_artefact(paths.artefact, artefact)
        write_run_summary(
            paths.summary,
            mode=settings.mode.value,
            status=status,
            metrics={
                "students": len(result.students),
                **psychometrics_metrics(result.psychometrics),
            },
            targets={},
            comparisons=result.successful,
            failures=result.failed,
            ctx=ctx,
        )
        print_placement_summary(result, console)
        print_path("Report", paths.report)
        if judged.outcome is not None:
            judged.outcome.raise_for_failure()
        return 0
