"""EXECUTE: judge student essays together with the anchors and place them on the scale."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eng5_runner.engine.records import PairRequest
from eng5_runner.errors import ConfigError
from eng5_runner.handlers.steps.backend_judgements import judge_schedule, submitted_without_results
from eng5_runner.handlers.steps.mode_schedule import build_schedule
from eng5_runner.handlers.steps.run_outcome import assess, conclude, status_fields
from eng5_runner.handlers.steps.write_outputs import (
    report_context,
    write_comparisons,
    write_html_report,
)
from eng5_runner.inputs.inventory import RunnerInventory
from eng5_runner.output.atomic import write_text_atomic
from eng5_runner.output.console import console, print_path
from eng5_runner.output.paths import RunnerPaths
from eng5_runner.settings.models import RunnerSettings

if TYPE_CHECKING:
    from eng5_runner.reports.anchor_scale import LockedScale


def lock_anchor_scale(
    settings: RunnerSettings, inventory: RunnerInventory, schedule: list[PairRequest]
) -> tuple[LockedScale, list[PairRequest], float | None]:
    """Load the locked scale (exit 2 on a mismatch) and drop the anchor–anchor pairs.

    Returns the scale, the schedule without anchor pairs and the estimated cost saved
    (None when the judge's price is unknown).
    """
    from eng5_runner.handlers.steps.cost_estimate import estimate_cost
    from eng5_runner.reports.anchor_scale import load_locked_scale, students_only

    if settings.backend.kind != "local":
        raise ConfigError(
            "report.anchor_scale works with the local engine only",
            hint="drop report.anchor_scale or use backend=local",
        )
    assert settings.report.anchor_scale is not None
    locked, _ = load_locked_scale(
        settings.report.anchor_scale,
        inventory.anchors,
        ridge=settings.report.ridge,
        position_model=settings.report.position_model,
        outcome_kind=settings.judge.outcome,
    )
    kept = students_only(schedule, set(locked.anchor_ids))
    kept_ids = {r.comparison_id for r in kept}
    skipped = [r for r in schedule if r.comparison_id not in kept_ids]
    saved = estimate_cost(settings, inventory, skipped).cost_usd
    console.print(
        f"Locked anchor scale {settings.report.anchor_scale}: {locked.anchor_judgements} anchor "
        f"judgements reused; judging {len(kept)} of {len(schedule)} comparisons "
        + (f"(≈ ${saved:.4f} saved)" if saved is not None else "(saving unknown: price unknown)")
    )
    return locked, kept, saved


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
        locked, saved = None, None
        if settings.report.anchor_scale is not None:
            locked, schedule, saved = lock_anchor_scale(settings, inventory, schedule)
        judged = judge_schedule(settings, inventory, schedule, paths)
        write_comparisons(paths, judged.records)
        if submitted_without_results(judged, settings):
            return 0
        result = build_placement(
            judged.records,
            inventory.essays,
            ridge=settings.report.ridge,
            grade_scale=inventory.grade_scale,
            position_model=settings.report.position_model,
            outcome_kind=settings.judge.outcome,
            locked=locked,
            cj_scores=judged.cj_published_scores,
            seed=settings.seed,
            rounds=judged.adaptive.rounds if judged.adaptive is not None else None,
        )
        if saved is not None:
            result = result.model_copy(update={"saved_cost_usd": saved})
        ctx = report_context(settings, inventory, paths, judged)
        run_status = assess(settings, judged)
        status = run_status.status
        artefact = build_artefact(
            ctx=ctx,
            records=judged.records,
            essays=inventory.essays,
            mode_result=None,
            status=status,
            requests=judged.requests or schedule or None,
            extra={"placement": result.model_dump(mode="json")},
            cj_published_scores=judged.cj_published_scores,
            run_outcome=status_fields(run_status),
            event_counts=judged.event_counts,
            psychometrics=result.psychometrics,
        )
        write_artefact(paths.artefact, artefact)
        summary = write_run_summary(
            paths.summary,
            mode=settings.mode.value,
            status=status,
            metrics={**result.metrics(), **psychometrics_metrics(result.psychometrics)},
            targets={},
            comparisons=result.successful,
            failures=result.failed,
            ctx=ctx,
            students=result.student_rows(),
        )
        html = write_html_report(paths, artefact, summary.model_dump(mode="json"), inventory)
        write_text_atomic(paths.report, render_placement_markdown(result, ctx))
        print_placement_summary(result, console)
        print_path("Report", paths.report)
        if html is not None:
            print_path("HTML report", html)
        conclude(run_status, judged, paths)
        return 0
