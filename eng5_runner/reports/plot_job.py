"""Draw a run's plots in a background thread; a plotting failure becomes a warning.

The figures are :class:`matplotlib.figure.Figure` objects on their own Agg canvas (no
pyplot state machine), so drawing them in one worker thread while the main thread
builds and writes the artefact and summary is safe.  Whatever goes wrong while
drawing (a matplotlib error, ``MemoryError``) is caught here: the caller still
writes the report, artefact and summary, with :attr:`PlotJob.warning` in them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["PlotJob"]


class PlotJob:
    """``draw(result, plots_dir)`` running in a daemon thread, started at construction."""

    def __init__(self, draw: Callable[[Any, Path], list[Path]], result: Any, plots_dir: Path):
        self._paths: list[Path] = []
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(draw, result, plots_dir), name="eng5-plots", daemon=True
        )
        self._thread.start()

    def _run(self, draw: Callable[[Any, Path], list[Path]], result: Any, plots_dir: Path) -> None:
        try:
            self._paths = list(draw(result, plots_dir))
        except Exception as exc:  # noqa: BLE001 - any plotting failure is only a warning
            self._error = exc

    def wait(self) -> list[Path]:
        """The plots written (empty if drawing failed); blocks until drawing ends."""
        self._thread.join()
        return self._paths

    @property
    def warning(self) -> str | None:
        """One line for the report when drawing failed, else None (call after :meth:`wait`)."""
        if self._error is None:
            return None
        reason = " ".join(str(self._error).split())[:200] or "no message"
        return (
            f"plots were not drawn ({type(self._error).__name__}: {reason}); "
            "the report, artefact and summary are complete"
        )
