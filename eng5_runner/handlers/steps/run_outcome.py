"""Turn a judged run into its honest status, and end it with the right exit.

Every mode with results uses these three steps: :func:`assess` (status from
the data), :func:`honest_targets` (no target of a partial or failed run shows
"pass"; a failed run's values are null) and :func:`conclude` (raise, after
everything is written, the error that says how the run ended).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from eng5_runner.errors import IncompleteRun, RunnerError
from eng5_runner.reports.context import TargetCheck
from eng5_runner.reports.run_status import RunStatus, assess_run, print_banner
from eng5_runner.settings.models import RunnerSettings

if TYPE_CHECKING:
    from eng5_runner.handlers.steps.backend_judgements import JudgedRun
    from eng5_runner.output.paths import RunnerPaths

ResultT = TypeVar("ResultT")


def assess(settings: RunnerSettings, judged: JudgedRun) -> RunStatus:
    """The run status of ``judged`` (see ``reports.run_status``)."""
    return assess_run(
        judged.records,
        requested=judged.requested,
        max_failed_fraction=settings.report.max_failed_fraction,
        backend_notes=judged.backend_notes,
    )


def honest_targets(checks: Sequence[TargetCheck], status: RunStatus) -> tuple[TargetCheck, ...]:
    """Checks of a non-complete run are unverified (never pass); a failed run's are null."""
    if status.status == "complete":
        return tuple(checks)
    update: dict[str, Any] = {"passed": False, "unverified": True}
    if status.status == "failed":
        update["value"] = None
    return tuple(check.model_copy(update=update) for check in checks)


def honest_result(result: ResultT, status: RunStatus) -> ResultT:
    """``result`` (an alignment or boundary result) with :func:`honest_targets` applied."""
    checks = getattr(result, "targets", None)
    if status.status == "complete" or checks is None:
        return result
    copy: ResultT = result.model_copy(  # type: ignore[attr-defined]
        update={"targets": honest_targets(checks, status)}
    )
    return copy


def honest_metrics(
    metrics: Mapping[str, float | int | list[float] | None], status: RunStatus
) -> dict[str, float | int | list[float] | None]:
    """All metrics null when the run failed (nothing to compute them from)."""
    if status.status == "failed":
        return dict.fromkeys(metrics)
    return dict(metrics)


def status_fields(status: RunStatus) -> dict[str, Any]:
    """What the artefact's ``runner_status.outcome`` holds."""
    return {
        "status": status.status,
        "requested": status.requested,
        "missing": status.missing,
        "failed_fraction": status.failed_fraction,
        "max_failed_fraction": status.max_failed_fraction,
        "failure_reasons": [r.model_dump() for r in status.reasons],
        "notes": list(status.notes),
    }


def conclude(status: RunStatus, judged: JudgedRun, paths: RunnerPaths) -> None:
    """After every output is written: banner, then the error that ends the run, if any.

    Precedence: a fatal judging error, then a CJ failure or a lost broker, then
    :class:`IncompleteRun` (exit 4) for a partial or failed run.
    """
    print_banner(status)
    if isinstance(judged.fatal, RunnerError):
        raise judged.fatal
    if judged.outcome is not None:
        judged.outcome.raise_for_failure()
    if status.status != "complete":
        head = status.banner_lines()[0]
        raise IncompleteRun(head, hint=f"see the banner at the top of {paths.report}")
