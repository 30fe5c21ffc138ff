"""TODO handler."""

from __future__ import annotations

from eng5_runner.inventory import RunnerInventory
from eng5_runner.paths import RunnerPaths
from eng5_runner.settings import RunnerSettings


class AnchorAlignHandler:
    """TODO."""

    def execute(
        self, settings: RunnerSettings, inventory: RunnerInventory, paths: RunnerPaths
    ) -> int:
        raise NotImplementedError
