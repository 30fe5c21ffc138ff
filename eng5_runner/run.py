"""One run from a composed config: settings → manifest → inventory → handler → exit code."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from eng5_runner.errors import ConfigError, RunnerError
from eng5_runner.inputs.inventory import InventoryError, RunnerInventory
from eng5_runner.output.atomic import write_json_atomic
from eng5_runner.output.console import err_console, print_error, print_path, print_warning
from eng5_runner.output.discard import discard_run_dir
from eng5_runner.output.paths import RunnerPaths
from eng5_runner.output.provenance import environment_info, git_sha, run_signature, utc_now
from eng5_runner.settings.compose import settings_from_cfg
from eng5_runner.settings.models import RunnerMode, RunnerSettings


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
    paths = RunnerPaths(output_dir).ensure()
    checking = True  # still checking settings and inputs: nothing worth keeping yet
    discarded = False
    try:
        settings = settings_from_cfg(cfg, project_dir=project_dir)
        write_manifest(paths, settings, overrides, project_dir=project_dir)
        try:
            inventory = RunnerInventory.load(settings.dataset, settings.mode)
        except InventoryError as exc:
            if settings.mode is RunnerMode.PLAN:
                from eng5_runner.handlers.plan import print_inventory_problems

                print_inventory_problems(exc)
            raise
        write_manifest(paths, settings, overrides, inventory, project_dir=project_dir)
        if settings.mode is not RunnerMode.PLAN:  # plan lists them with its own warnings
            for warning in inventory.warnings:
                print_warning(warning)
        checking = False
        from eng5_runner.handlers.dispatch import dispatch

        code = dispatch(settings, inventory, paths)
        if code != 0 and not multirun:
            raise SystemExit(code)
        return code
    except KeyboardInterrupt:
        err_console.print(
            "[bold red]interrupted:[/] judgements already made are kept in the store; "
            "run the same command again to resume"
        )
        raise SystemExit(130) from None
    except RunnerError as exc:
        if checking and isinstance(exc, ConfigError) and not multirun:
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


def _fail_fast(cfg: DictConfig) -> bool:
    """``sweep.fail_fast=true``: the first failed job stops the whole sweep."""
    sweep = cfg.get("sweep") if isinstance(cfg, DictConfig) else None
    return bool(sweep.get("fail_fast", False)) if sweep is not None else False


def record_error(paths: RunnerPaths, exc: RunnerError) -> None:
    """Store the failure in the run dir so sweeps and users can see it later."""
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
