"""Run the real CLI in a child process: ``python -m eng5_runner ARGS`` with a clean environment."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """``PATH`` and ``HOME`` only (no key or setting leaks in from the host), plus ``extra``."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), **extra}


def runner_command(*args: str) -> list[str]:
    """The argv of one CLI run."""
    return [sys.executable, "-m", "eng5_runner", *args]


def run_runner(
    *args: str, cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run to completion in ``cwd``, output captured; ``env`` defaults to ``clean_env(cwd)``."""
    return subprocess.run(
        runner_command(*args),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=dict(env) if env is not None else clean_env(cwd),
    )


def start_runner(*args: str, cwd: Path, env: Mapping[str, str]) -> subprocess.Popen[str]:
    """Start in the background, stdout and stderr piped (the caller waits or signals)."""
    return subprocess.Popen(
        runner_command(*args),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(env),
    )
