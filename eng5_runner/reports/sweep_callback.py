"""Hydra callback: write the sweep leaderboard when a multirun ends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig


class SweepSummaryCallback(Callback):
    """Summarise the sweep from its job dirs; exit non-zero on failures or a missed gate."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from eng5_runner.output.console import console, err_console
        from eng5_runner.reports.sweep import collect_sweep, write_sweep_summary

        sweep_cfg = config.get("sweep") or {}
        gate = str(sweep_cfg.get("gate", "none"))
        summary = collect_sweep(
            Path(config.hydra.sweep.dir),
            sort_by=str(sweep_cfg.get("sort_by", "tau_b")),
            descending=sweep_cfg.get("descending"),
        )
        written = write_sweep_summary(summary, gate)  # type: ignore[arg-type]
        console.print(f"Sweep summary: [bold]{written[0]}[/]")
        if summary.failed:
            err_console.print(
                f"[bold red]error:[/] {len(summary.failed)} of "
                f"{len(summary.rows)} sweep jobs failed; see {written[0]}"
            )
            raise SystemExit(1)
        if summary.pending:
            err_console.print(
                f"[bold]batches pending:[/] {len(summary.pending)} of {len(summary.rows)} sweep "
                "jobs have provider batches still processing; run the same command again to "
                "collect them"
            )
            raise SystemExit(5)
        if not summary.gate_passed(gate):  # type: ignore[arg-type]
            err_console.print(f"[bold red]error:[/] sweep gate '{gate}' not met; see {written[0]}")
            raise SystemExit(3)
