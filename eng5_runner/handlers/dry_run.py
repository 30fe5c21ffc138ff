"""DRY_RUN: build everything a real run would send and write it; no network, no Kafka."""

from __future__ import annotations

import json

from eng5_runner.engine.records import PairRequest
from eng5_runner.handlers.steps.mode_schedule import build_schedule, planned_mode
from eng5_runner.handlers.steps.write_outputs import report_context
from eng5_runner.inputs.inventory import RunnerInventory
from eng5_runner.output.atomic import write_text_atomic
from eng5_runner.output.console import print_path
from eng5_runner.output.paths import RunnerPaths
from eng5_runner.settings.models import RunnerMode, RunnerSettings


class DryRunHandler:
    """Rendered judge requests (local) or the CJ request envelope (huleedu), plus a stub."""

    def execute(
        self, settings: RunnerSettings, inventory: RunnerInventory, paths: RunnerPaths
    ) -> int:
        from eng5_runner.reports.artefact import build_artefact, write_artefact
        from eng5_runner.reports.summary import write_run_summary

        mode = planned_mode(settings)
        planned = settings.model_copy(update={"mode": mode})
        schedule = build_schedule(planned, inventory)
        if settings.backend.kind == "local":
            target = paths.requests_dir / "judge_requests.jsonl"
            write_text_atomic(target, _rendered_requests(planned, inventory, schedule))
            print_path(f"{len(schedule)} judge requests ({mode.value}) written to", target)
        else:
            from eng5_runner.huleedu.request import dry_run_envelope, write_request_file

            boundary = schedule if mode is RunnerMode.BOUNDARY_TEST else None
            envelope, _ = dry_run_envelope(planned, inventory, schedule=boundary)
            target = write_request_file(paths, envelope)
            essays = len(envelope.data.essays_for_cj)
            print_path(
                f"CJ request envelope ({mode.value}, {essays} essays; nothing was "
                "published) written to",
                target,
            )
        ctx = report_context(settings, inventory, paths)
        stub = build_artefact(
            ctx=ctx,
            records=(),
            essays=inventory.essays,
            mode_result=None,
            status="stub",
            requests=schedule,
        )
        write_artefact(paths.artefact, stub)
        write_run_summary(
            paths.summary, mode=settings.mode.value, status="stub", metrics={}, targets={}, ctx=ctx
        )
        print_path("Artefact stub (schema-valid)", paths.artefact)
        return 0


def _rendered_requests(
    settings: RunnerSettings, inventory: RunnerInventory, schedule: list[PairRequest]
) -> str:
    """One JSON line per comparison: ids, labels and the exact prompts the judge gets."""
    from eng5_runner.engine.run_local import ComparisonInputs
    from eng5_runner.engine.store import cache_key

    inputs = ComparisonInputs(settings, inventory)
    lines = []
    for request in schedule:
        prompt = inputs.prompt(request)
        lines.append(
            json.dumps(
                {
                    "comparison_id": request.comparison_id,
                    "iteration": request.iteration,
                    "essay_a": {"id": request.a_id, "label": inputs.essay(request.a_id).label},
                    "essay_b": {"id": request.b_id, "label": inputs.essay(request.b_id).label},
                    "provider": settings.judge.provider,
                    "model": settings.judge.model,
                    "generation_params": settings.judge.generation_params,
                    "cache_key": cache_key(inputs.inputs(request)),
                    "system": prompt.system,
                    "user": prompt.user,
                },
                ensure_ascii=False,
            )
        )
    return "\n".join(lines) + "\n"
