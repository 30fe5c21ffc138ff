"""One run from a composed config: settings → manifest → inventory → handler → exit code."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from eng5_runner.errors import ConfigError, RunnerError
from eng5_runner.inputs.essay_limits import check_essay_sizes
from eng5_runner.inputs.inventory import InventoryError, RunnerInventory
from eng5_runner.output.atomic import write_json_atomic
from eng5_runner.output.console import err_console, print_error, print_path, print_warning
from eng5_runner.output.discard import discard_run_dir
from eng5_runner.output.failures import as_runner_error
from eng5_runner.output.paths import RunnerPaths
from eng5_runner.output.provenance import environment_info, git_sha, run_signature, utc_now
from eng5_runner.settings.compose import settings_from_cfg
from eng5_runner.settings.models import RunnerMode, RunnerSettings
from eng5_runner.settings.secret_check import SecretInConfig


class _Progress:
    """How far a run got: while ``checking``, a config error leaves nothing worth keeping."""

    checking = True


def run_from_cfg(
    cfg: DictConfig,
    output_dir: Path,
    overrides: list[str],
    *,
    multirun: bool = False,
    project_dir: Path | None = None,
) -> int:
    """Run once; user mistakes become one line on stderr and a non-zero code.

    ``project_dir``: root of relative input paths (see :mod:`eng5_runner.settings.project`).
    """
    from eng5_runner.output.redact import install_log_redaction

    install_log_redaction()
    paths = RunnerPaths(output_dir)
    progress = _Progress()
    discarded = False
    try:
        try:
            return _run(
                cfg, paths, overrides, multirun=multirun, project_dir=project_dir, progress=progress
            )
        except (RunnerError, SystemExit, KeyboardInterrupt):
            raise
        except BaseException as raw:
            translated = as_runner_error(raw)
            if translated is raw:
                raise
            raise translated from None
    except KeyboardInterrupt:
        err_console.print(
            "[bold red]interrupted:[/] judgements already made are kept in the store; "
            "run the same command again to resume"
        )
        raise SystemExit(130) from None
    except RunnerError as exc:
        if isinstance(exc, SecretInConfig):
            _scrub_hydra_files(paths, exc.secret)
        if progress.checking and isinstance(exc, ConfigError) and not multirun:
            discarded = discard_run_dir(paths.run_dir)
        if not discarded:
            record_error(paths, exc)
        if os.environ.get("ENG5_FULL_ERROR") == "1":
            raise
        print_error(exc.one_line())
        if multirun and not _fail_fast(cfg):
            return exc.exit_code  # the sweep goes on; its summary lists this job
        raise SystemExit(exc.exit_code) from None
    finally:
        if not discarded:
            print_path("Output dir", paths.run_dir, style="dim")


def _run(
    cfg: DictConfig,
    paths: RunnerPaths,
    overrides: list[str],
    *,
    multirun: bool,
    project_dir: Path | None,
    progress: _Progress,
) -> int:
    """Settings → manifest → inventory → handler; raises what :func:`run_from_cfg` reports."""
    paths.ensure()
    settings = settings_from_cfg(cfg, project_dir=project_dir)
    write_manifest(paths, settings, overrides, project_dir=project_dir)
    try:
        inventory = RunnerInventory.load(settings.dataset, settings.mode)
    except InventoryError as exc:
        if settings.mode is RunnerMode.PLAN:
            from eng5_runner.handlers.plan import print_inventory_problems

            print_inventory_problems(exc)
        raise
    check_essay_sizes(inventory, settings.dataset.max_essay_chars)
    write_manifest(paths, settings, overrides, inventory, project_dir=project_dir)
    if settings.mode is not RunnerMode.PLAN:  # plan lists them with its own warnings
        for warning in inventory.warnings:
            print_warning(warning)
    progress.checking = False
    from eng5_runner.handlers.dispatch import dispatch

    code = dispatch(settings, inventory, paths)
    if code != 0 and not multirun:
        raise SystemExit(code)
    return code


def _scrub_hydra_files(paths: RunnerPaths, secret: str) -> None:
    """Hydra wrote the overrides before we saw them: take the refused secret out again."""
    from eng5_runner.output.redact import scrub_files

    hydra_dir = paths.run_dir / ".hydra"
    if hydra_dir.is_dir():
        scrub_files(sorted(hydra_dir.glob("*.yaml")), [secret])


def _fail_fast(cfg: DictConfig) -> bool:
    """``sweep.fail_fast=true``: the first failed job stops the whole sweep."""
    sweep = cfg.get("sweep") if isinstance(cfg, DictConfig) else None
    return bool(sweep.get("fail_fast", False)) if sweep is not None else False


def record_error(paths: RunnerPaths, exc: RunnerError) -> None:
    """Store the failure in the run dir so sweeps and users can see it later.

    Best effort: when the run dir itself cannot be written (read-only, disk full)
    the one line on stderr is all there is.
    """
    with contextlib.suppress(OSError):
        _write_error(paths, exc)


def _write_error(paths: RunnerPaths, exc: RunnerError) -> None:
    write_json_atomic(
        paths.error,
        {
            "status": "error",
            "error_type": type(exc).__name__,
            "message": exc.one_line(),
            "exit_code": exc.exit_code,
            "at": utc_now(),
        },
    )


def write_manifest(
    paths: RunnerPaths,
    settings: RunnerSettings,
    overrides: list[str],
    inventory: RunnerInventory | None = None,
    *,
    project_dir: Path | None = None,
) -> None:
    """``manifest.json``: run signature, git SHA, versions, overrides, input checksums."""
    manifest: dict[str, Any] = {
        "run_signature": run_signature(settings),
        "mode": settings.mode.value,
        "experiment": settings.experiment_name,
        "tags": list(settings.tags),
        "batch_label": settings.batch_label,
        "overrides": overrides,
        "git_sha": git_sha(),
        "created_at": utc_now(),
        "environment": environment_info(),
        "argv": [Path(sys.argv[0]).name, *sys.argv[1:]],
        "project_dir": str(project_dir) if project_dir is not None else None,
        "inputs": [
            {"path": str(f.path), "sha256": f.sha256, "bytes": f.size_bytes}
            for f in (inventory.input_files() if inventory else [])
        ],
    }
    write_json_atomic(paths.manifest, manifest)
