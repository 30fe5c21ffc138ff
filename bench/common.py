"""Helpers shared by the benchmark scripts: timing subprocess runs, markdown tables."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def time_cli(args: Sequence[str], *, cwd: Path, env: dict[str, str] | None = None) -> float:
    """Wall time (s) of one ``python -m eng5_runner ARGS`` run; raises if it fails."""
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "eng5_runner", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        raise RuntimeError(f"eng5-runner {' '.join(args)} failed:\n{out.stderr[-2000:]}")
    return elapsed


def summarise(samples: Sequence[float]) -> str:
    """``median (min–max, n)`` in seconds."""
    return (
        f"{statistics.median(samples):.3f} s ({min(samples):.3f}–{max(samples):.3f}, "
        f"n={len(samples)})"
    )


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
