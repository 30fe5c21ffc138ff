"""Hydra callback that writes the sweep summary when a multirun ends (stub)."""

from __future__ import annotations

from typing import Any

from hydra.experimental.callback import Callback


class SweepSummaryCallback(Callback):
    """Placeholder until the sweep summary lands."""

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:
        return None
