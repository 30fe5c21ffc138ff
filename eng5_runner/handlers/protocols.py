"""The contract every mode handler fulfils (EPIC-008 US-008.1)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from eng5_runner.inputs.inventory import RunnerInventory
    from eng5_runner.output.paths import RunnerPaths
    from eng5_runner.settings.models import RunnerSettings


@runtime_checkable
class ModeHandlerProtocol(Protocol):
    """A handler runs one mode and returns the process exit code."""

    def execute(
        self, settings: RunnerSettings, inventory: RunnerInventory, paths: RunnerPaths
    ) -> int:
        """Run the mode; raise RunnerError for user-facing failures."""
        ...
