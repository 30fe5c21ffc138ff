"""``HANDLER_MAP``: one handler class per :class:`RunnerMode`."""

from __future__ import annotations

from eng5_runner.handlers.anchor_align import AnchorAlignHandler
from eng5_runner.handlers.boundary import BoundaryTestHandler
from eng5_runner.handlers.dry_run import DryRunHandler
from eng5_runner.handlers.execute import ExecuteHandler
from eng5_runner.handlers.plan import PlanHandler
from eng5_runner.handlers.protocols import ModeHandlerProtocol
from eng5_runner.inputs.inventory import RunnerInventory
from eng5_runner.output.paths import RunnerPaths
from eng5_runner.settings.models import RunnerMode, RunnerSettings

HANDLER_MAP: dict[RunnerMode, type[ModeHandlerProtocol]] = {
    RunnerMode.PLAN: PlanHandler,
    RunnerMode.DRY_RUN: DryRunHandler,
    RunnerMode.EXECUTE: ExecuteHandler,
    RunnerMode.ANCHOR_ALIGN_TEST: AnchorAlignHandler,
    RunnerMode.BOUNDARY_TEST: BoundaryTestHandler,
}


def dispatch(settings: RunnerSettings, inventory: RunnerInventory, paths: RunnerPaths) -> int:
    """Run the handler for ``settings.mode`` and return its exit code."""
    handler = HANDLER_MAP[settings.mode]()
    return handler.execute(settings, inventory, paths)
