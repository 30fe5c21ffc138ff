"""The run's headline metric, returned by the Hydra task function to sweepers (Optuna ...).

``sweep.objective`` names a key of ``summary.json``'s ``metrics`` (default ``tau_b``). The
value is returned only for a run that finished: ``summary.json`` has ``status: complete``
and no error other than a missed gate was recorded (a gate miss is a valid, if poor, score).
A failed, partial or metric-less run (``plan``, ``dry-run``) returns None, which Optuna
records as a failed trial: a failed run never passes for a score.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from eng5_runner.output.console import print_warning
from eng5_runner.output.paths import RunnerPaths

#: The one recorded error after which the metrics are still the run's result.
_GATE_ERROR = "GateFailed"


def run_objective(
    paths: RunnerPaths, objective: str, *, since: float = 0.0, warn: bool = False
) -> float | None:
    """``metrics[objective]`` of the summary this run wrote (modified at or after ``since``).

    With ``warn``, a summary that lacks the metric gets one line naming ``sweep.objective``.
    """
    error = _load(paths.error, since)
    if error is not None and error.get("error_type") != _GATE_ERROR:
        return None
    summary = _load(paths.summary, since)
    if summary is None or summary.get("status") != "complete":
        return None
    metrics = summary.get("metrics")
    value = metrics.get(objective) if isinstance(metrics, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        known = ", ".join(sorted(metrics)) if isinstance(metrics, dict) else "none"
        if warn:
            print_warning(
                f"sweep.objective={objective}: not a metric of this run (it has: {known}); "
                "the sweeper gets null"
            )
        return None
    return float(value) if math.isfinite(value) else None


def _load(path: Path, since: float) -> dict[str, Any] | None:
    """The JSON object in ``path`` if this run wrote it, else None."""
    try:
        if path.stat().st_mtime < since:
            return None  # left over from an earlier run in the same directory
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
