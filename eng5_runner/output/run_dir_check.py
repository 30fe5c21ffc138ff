"""A Hydra callback that checks the run (or sweep) dir can be written, before Hydra does.

Hydra creates the output dir itself and reports a failure with a traceback;
this callback runs first (``on_run_start`` / ``on_multirun_start``) and turns
a read-only or full file system into the runner's one line and exit 5.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from eng5_runner.output.console import print_error
from eng5_runner.output.failures import os_error


def check_writable_dir(directory: Path) -> None:
    """Create ``directory`` and a probe file in it; exit 5 with one line when that fails."""
    probe = directory / ".eng5-write-probe"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        exc.filename = exc.filename or str(directory)
        error = os_error(exc)
        print_error(error.one_line())
        sys.exit(error.exit_code)


class RunDirCheck(Callback):
    """See the module docstring."""

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        check_writable_dir(Path(str(config.hydra.run.dir)))

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        check_writable_dir(Path(str(config.hydra.sweep.dir)))
