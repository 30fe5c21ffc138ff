"""BOUNDARY_TEST: repeated, position-controlled comparisons of chosen boundary pairs."""

from __future__ import annotations

from eng5_runner.handlers.steps.backend_judgements import judge_schedule, submitted_without_results
from eng5_runner.handlers.steps.mode_schedule import build_schedule
from eng5_runner.handlers.steps.write_outputs import (
    check_report_inputs,
    finish_run,
    report_context,
    write_comparisons,
)
from eng5_runner.inputs.boundary_pairs import resolve_boundary_pairs
from eng5_runner.inputs.inventory import RunnerInventory
from eng5_runner.output.paths import RunnerPaths
from eng5_runner.settings.models import RunnerSettings


class BoundaryTestHandler:
    """Each pair × iterations in both orders, one batch; win rates, bias, agreement."""

    def execute(
        self, settings: RunnerSettings, inventory: RunnerInventory, paths: RunnerPaths
    ) -> int:
        from eng5_runner.reports.boundary import build_boundary

        pairs = resolve_boundary_pairs(settings.boundary, inventory)
        check_report_inputs(settings)
        schedule = build_schedule(settings, inventory)
        judged = judge_schedule(settings, inventory, schedule, paths)
        write_comparisons(paths, judged.records)
        if submitted_without_results(judged, settings):
            return 0
        result = build_boundary(judged.records, pairs, targets=settings.report.targets)
        ctx = report_context(settings, inventory, paths, judged)
        code = finish_run(settings, inventory, paths, judged, schedule, result, ctx, "boundary")
        return code
