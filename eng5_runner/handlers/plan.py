"""PLAN: show what a run would do and write ``plan.json``; no network, no judge."""

from __future__ import annotations

import os
from typing import Any

from rich.markup import escape
from rich.table import Table

from eng5_runner.engine.pricing import Pricer
from eng5_runner.handlers.steps.batch_estimate import (
    batch_estimate,
    batch_line,
    batch_warnings,
)
from eng5_runner.handlers.steps.cost_estimate import estimate_cost
from eng5_runner.handlers.steps.mode_schedule import build_schedule, planned_mode
from eng5_runner.handlers.steps.write_outputs import report_context
from eng5_runner.inputs.inventory import InventoryError, InventorySurvey, RunnerInventory
from eng5_runner.output.atomic import write_json_atomic
from eng5_runner.output.console import console, print_path, print_warning
from eng5_runner.output.paths import RunnerPaths
from eng5_runner.output.provenance import run_signature
from eng5_runner.settings.models import RunnerMode, RunnerSettings


def plan_warnings(settings: RunnerSettings, inventory: RunnerInventory) -> list[str]:
    """Things worth knowing before spending money on a run."""
    warnings: list[str] = []
    judge = settings.judge
    local = settings.backend.kind == "local"
    if (
        local
        and judge.api_key_env
        and judge.provider != "simulated"
        and not os.environ.get(judge.api_key_env)
    ):
        needed = "needed" if judge.provider != "openai_compatible" else "may be needed"
        warnings.append(f"{judge.api_key_env} is not set ({needed} for judge={judge.provider})")
    if local and judge.provider == "simulated":
        warnings.append("judge=simulated: an offline stand-in, not an LLM")
    if judge.provider != "simulated" and Pricer(judge).prices() is None:
        warnings.append(
            f"price unknown: genai-prices has no price for {judge.provider}/{judge.model} "
            "(set judge.price_input_per_mtok and judge.price_output_per_mtok)"
        )
    if settings.dataset.include_assignment and inventory.assignment_text is None:
        warnings.append("no assignment text: the judge will not see the writing task")
    if settings.backend.kind == "huleedu" and not settings.backend.cj_service_url:
        warnings.append("backend.cj_service_url is not set (CJ_SERVICE_URL)")
    if settings.mode is RunnerMode.EXECUTE and not inventory.students:
        warnings.append("execute without student essays")
    if settings.pairing.design == "adaptive":
        budget = settings.pairing.max_comparisons
        warnings.append(
            "pairing=adaptive: the count and cost are round 0 only; later rounds depend on the "
            "answers (budget: " + (f"{budget} comparisons)" if budget else "none set)")
        )
    warnings += batch_warnings(judge, settings.cache.mode, local)
    return [*inventory.warnings, *warnings]


def build_plan(settings: RunnerSettings, inventory: RunnerInventory) -> dict[str, Any]:
    """The plan as data: inventory, choices, schedule size, estimated cost, warnings."""
    schedule_mode = planned_mode(settings)
    schedule_settings = settings.model_copy(update={"mode": schedule_mode})
    schedule = build_schedule(schedule_settings, inventory)
    estimate = estimate_cost(settings, inventory, schedule)
    return {
        "mode": settings.mode.value,
        "planned_mode": schedule_mode.value,
        "run_signature": run_signature(settings),
        "backend": settings.backend.kind,
        "judge": {
            "provider": settings.judge.provider,
            "model": settings.judge.model,
            **settings.judge.generation_params,
        },
        "system_prompt": settings.system_prompt.name,
        "rubric": settings.rubric.name,
        "pairing": settings.pairing.design,
        "dataset": {
            "name": settings.dataset.name,
            "anchors": [
                {
                    "label": e.label,
                    "grade": e.grade,
                    "file": e.source.path.name,
                    "words": e.word_count,
                }
                for e in inventory.anchors
            ],
            "students": [
                {"label": e.label, "file": e.source.path.name, "words": e.word_count}
                for e in inventory.students
            ],
            "assignment": str(inventory.assignment.path) if inventory.assignment else None,
            "grade_source": inventory.grade_source,
        },
        "inventory": inventory_data(inventory.survey),
        "comparisons": len(schedule),
        "estimate": estimate.model_dump(),
        "warnings": plan_warnings(settings, inventory),
        "batch": batch_estimate(settings.judge, estimate)
        if settings.backend.kind == "local"
        else None,
    }


def inventory_data(survey: InventorySurvey) -> dict[str, Any]:
    """The inventory check as data: every file, skipped files, unmatched rows, duplicates."""
    return {
        "grade_sheet": survey.grade_sheet,
        "files": [
            {**f.model_dump(mode="json", exclude={"path"}), "file": str(f.path)}
            for f in survey.files
        ],
        "unmatched_grade_rows": [r.model_dump(mode="json") for r in survey.unmatched_grade_rows],
        "duplicates": [list(pair) for pair in survey.duplicates],
    }


def print_inventory_problems(exc: InventoryError) -> None:
    """Plan on a dataset with problems: the inventory table, then every problem."""
    _print_inventory(exc.survey)
    for warning in exc.survey.warnings:
        print_warning(warning)
    for problem in exc.problems[1:]:
        print_warning(problem.one_line())


class PlanHandler:
    """Print the plan and write it to ``plan.json``."""

    def execute(
        self, settings: RunnerSettings, inventory: RunnerInventory, paths: RunnerPaths
    ) -> int:
        from eng5_runner.reports.summary import write_run_summary

        plan = build_plan(settings, inventory)
        write_json_atomic(paths.plan, plan)
        write_run_summary(
            paths.summary,
            mode=settings.mode.value,
            status="stub",
            metrics={},
            targets={},
            ctx=report_context(settings, inventory, paths),
        )
        _print_plan(plan, inventory.survey)
        print_path("Plan written to", paths.plan)
        return 0


def _print_inventory(survey: InventorySurvey) -> None:
    table = Table(title=f"Inventory ({len(survey.files)} files)", title_justify="left")
    for column in ("file", "role", "essay id", "label", "grade", "words", "read as / note"):
        table.add_column(column, overflow="fold")
    for f in survey.files:
        note = f.method if f.status == "ok" else f"{f.status}: {f.note}"
        table.add_row(
            escape(f.path.name),
            f.role,
            f.essay_id or "",
            escape(f.label or ""),
            f.grade or "",
            "" if f.words is None else str(f.words),
            escape(note or ""),
            style=None if f.status == "ok" else ("yellow" if f.status == "skipped" else "red"),
        )
    console.print(table)
    if survey.grade_sheet:
        console.print(escape(f"Grades file: {survey.grade_sheet}"))
    for row in survey.unmatched_grade_rows:
        console.print(
            escape(f"Unmatched grade row {row.row}: '{row.file_name}' ({row.grade})"),
            style="yellow",
        )
    for first, second in survey.duplicates:
        console.print(escape(f"Duplicate text: {second} = {first}"), style="red")


def _print_plan(plan: dict[str, Any], survey: InventorySurvey) -> None:
    _print_inventory(survey)
    students = plan["dataset"]["students"]
    console.print(
        escape(f"Students: {len(students)}   Assignment: {plan['dataset']['assignment']}")
    )
    judge = plan["judge"]
    console.print(
        escape(
            f"Judge: {judge['provider']} / {judge['model']}   Backend: {plan['backend']}   "
            f"System prompt: {plan['system_prompt']}   Rubric: {plan['rubric']}"
        )
    )
    est = plan["estimate"]
    cost = "price unknown" if est["cost_usd"] is None else f"≈ ${est['cost_usd']:.4f}"
    cache = (
        f" ({est['cached_input_tokens']:,} cached, {100 * est['cache_hit_rate']:.0f}%)"
        if est.get("cached_input_tokens")
        else ""
    )
    reasoning = (
        f" incl. {est['reasoning_tokens']:,} reasoning" if est.get("reasoning_tokens") else ""
    )
    console.print(
        f"Comparisons ({plan['planned_mode']}, {plan['pairing']}): [bold]{plan['comparisons']}"
        f"[/]   ≈ {est['prompt_tokens']:,} prompt{cache} + {est['completion_tokens']:,} answer"
        f"{reasoning} tokens   {escape(cost)}"
    )
    if plan.get("batch"):
        console.print(escape(batch_line(plan["batch"])))
    for warning in plan["warnings"]:
        print_warning(warning)
