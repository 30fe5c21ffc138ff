"""ANCHOR_ALIGN_TEST: judge the anchors (GUEST flow) and report agreement with experts."""

from __future__ import annotations

from eng5_runner.handlers.steps.backend_judgements import judge_schedule, submitted_without_results
from eng5_runner.handlers.steps.mode_schedule import build_schedule
from eng5_runner.handlers.steps.write_outputs import (
    check_report_inputs,
    finish_run,
    report_context,
    write_comparisons,
)
from eng5_runner.inputs.inventory import RunnerInventory
from eng5_runner.output.paths import RunnerPaths
from eng5_runner.settings.models import RunnerSettings


class AnchorAlignHandler:
    """Anchors only, no assignment id, no grade projection; BT and metrics computed here."""

    def execute(
        self, settings: RunnerSettings, inventory: RunnerInventory, paths: RunnerPaths
    ) -> int:
        from eng5_runner.reports.alignment import build_alignment

        check_report_inputs(settings)
        schedule = build_schedule(settings, inventory)
        judged = judge_schedule(settings, inventory, schedule, paths)
        write_comparisons(paths, judged.records)
        if submitted_without_results(judged, settings):
            return 0
        result = build_alignment(
            judged.records,
            inventory.anchors,
            grade_scale=inventory.grade_scale,
            targets=settings.report.targets,
            ridge=settings.report.ridge,
            position_model=settings.report.position_model,
            outcome_kind=settings.judge.outcome,
            resamples=settings.report.bootstrap.resamples,
            max_refit_comparisons=settings.report.bootstrap.max_refit_comparisons,
            seed=settings.seed,
            rounds=judged.adaptive.rounds if judged.adaptive is not None else None,
        )
        ctx = report_context(settings, inventory, paths, judged)
        made = judged.requests or schedule
        code = finish_run(settings, inventory, paths, judged, made, result, ctx, "alignment")
        return code
