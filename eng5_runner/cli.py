"""The ``eng5-runner`` command: the only ``@hydra.main`` in the project."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

import eng5_runner  # noqa: F401  (registers the config resolvers)

CONF_DIR = Path(__file__).resolve().parent / "conf"
_task_started = False
#: File-time granularity margin when telling this job's summary from an earlier one's.
_MTIME_SLACK_S = 1.0
#: Hydra's grid sweeper ignores return values; other sweepers (Optuna ...) optimise them.
_BASIC_SWEEPER = ".BasicSweeper"


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="config")
def _task(cfg: DictConfig) -> float | None:
    """One job; returns its ``sweep.objective`` metric (None if it failed) for sweepers.

    The process exit code does not come from this value: a failed single run exits
    through ``SystemExit`` in :func:`run_from_cfg`, a sweep through its summary callback.
    """
    from eng5_runner.errors import GateFailed
    from eng5_runner.output.paths import RunnerPaths
    from eng5_runner.reports.objective import run_objective
    from eng5_runner.run import run_from_cfg

    global _task_started
    _task_started = True
    started = time.time() - _MTIME_SLACK_S
    hydra_cfg = HydraConfig.get()
    output_dir = Path(hydra_cfg.runtime.output_dir)
    code = run_from_cfg(
        cfg,
        output_dir,
        list(hydra_cfg.overrides.task),
        multirun=hydra_cfg.mode == RunMode.MULTIRUN,
        project_dir=_project_dir(cfg, hydra_cfg.runtime),
    )
    if code not in (0, GateFailed.exit_code):  # a missed gate still scores the prompt
        return None
    objective = str(OmegaConf.select(cfg, "sweep.objective", default=None) or "tau_b")
    optimising = hydra_cfg.mode == RunMode.MULTIRUN and not str(
        hydra_cfg.sweeper.get("_target_", "")
    ).endswith(_BASIC_SWEEPER)
    return run_objective(RunnerPaths(output_dir), objective, since=started, warn=optimising)


def _project_dir(cfg: DictConfig, runtime: Any) -> Path:
    """``project_dir=`` if given, else the folder holding the user's config dir, else cwd."""
    from eng5_runner.settings.project import project_dir_from_sources

    cwd = Path(runtime.cwd)
    given = OmegaConf.select(cfg, "project_dir", default=None)
    if given:
        return (cwd / Path(str(given)).expanduser()).resolve()
    return project_dir_from_sources(runtime.config_sources, cwd)


def main() -> None:
    """Console-script entry point.

    Config mistakes (bad override syntax, unknown key, group option or mode) are one
    ``error:`` line and exit 2, whether they are caught before Hydra runs or by Hydra
    while it composes the config; see docs/errors.md.
    """
    from eng5_runner.errors import ConfigError
    from eng5_runner.output.console import print_error
    from eng5_runner.settings.launcher_errors import launcher_error
    from eng5_runner.settings.overrides import check_overrides, explain_hydra_error

    try:
        try:
            sys.argv[1:] = check_overrides(sys.argv[1:], CONF_DIR)
            if is_single_run(sys.argv[1:]):
                _compose_once()
            with _hydra_raises():
                _task()
        except ConfigError as exc:
            if _task_started:  # re-raised by the run for ENG5_FULL_ERROR=1
                raise
            print_error(exc.one_line())
            raise SystemExit(exc.exit_code) from None
        except Exception as exc:
            error = explain_hydra_error(exc) or launcher_error(exc)
            if error is None or os.environ.get("HYDRA_FULL_ERROR") == "1":
                raise
            print_error(error.one_line())
            raise SystemExit(error.exit_code) from None
    finally:
        _skip_shutdown_gc()


@contextmanager
def _hydra_raises() -> Iterator[None]:
    """Let Hydra's compose errors reach :func:`main` instead of being printed by Hydra.

    Hydra prints (and exits 1 on) every exception unless ``HYDRA_FULL_ERROR=1``; with it
    set, the exception propagates and :func:`main` reports it as one line. A user who set
    the variable still gets the full traceback.
    """
    previous = os.environ.get("HYDRA_FULL_ERROR")
    os.environ["HYDRA_FULL_ERROR"] = "1"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("HYDRA_FULL_ERROR", None)
        else:
            os.environ["HYDRA_FULL_ERROR"] = previous


#: Overrides that can make a run a multirun (sweep presets set ``hydra.mode``).
_MULTIRUN_HINTS = ("sweep", "hydra.mode", "multirun", "searchpath", "hydra/")


def is_single_run(args: Sequence[str]) -> bool:
    """True when nothing on the command line or in the config tree can ask for a multirun.

    Conservative: any flag (``-m``, ``--config-dir``, ...), any override naming a sweep,
    ``hydra.mode`` or the search path, or any config file outside ``conf/sweep`` that
    mentions ``MULTIRUN`` leaves Hydra's own mode probe in place.
    """
    if any(a.startswith("-") or any(h in a.lower() for h in _MULTIRUN_HINTS) for a in args):
        return False
    files = (
        p
        for p in CONF_DIR.rglob("*")
        if p.suffix in {".yaml", ".yml", ".toml"} and "sweep" not in p.parts
    )
    return not any("MULTIRUN" in p.read_text(encoding="utf-8", errors="replace") for p in files)


def _compose_once() -> None:
    """Skip Hydra's mode probe, which composes the whole config a first time (≈0.3 s).

    Hydra 1.3 composes once to read ``hydra.mode`` (``Hydra.get_mode``) and again to
    run; ``None`` is what it returns when no mode is set, and then it runs a single
    job, exactly as without the probe. Only called when :func:`is_single_run` holds.
    """
    from hydra._internal.hydra import Hydra

    def no_probe(self: Hydra, config_name: str | None, overrides: list[str]) -> None:
        return None

    Hydra.get_mode = no_probe  # type: ignore[method-assign]


def _skip_shutdown_gc() -> None:
    """Exempt every live object from the cyclic collections of interpreter shutdown.

    Tearing the modules down runs several full collections over ~10⁵ long-lived objects
    (Hydra, pydantic, numpy, matplotlib): ≈0.2 s of a ~1.5 s run, freeing memory the OS
    reclaims anyway.  ``gc.freeze`` skips them (as mypy skips teardown); reference counting
    still frees everything else, atexit handlers (``logging.shutdown``) still run and the
    std streams are still flushed.  Nothing here relies on a finalizer run by the cyclic
    GC at exit: files are written atomically and closed, stores are closed explicitly.
    ``main`` is the console-script entry point: the process ends right after it.
    """
    import gc

    gc.freeze()


if __name__ == "__main__":
    main()
