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
        reference = sweep_cfg.get("reference")
        try:
            summary = collect_sweep(
                Path(config.hydra.sweep.dir),
                sort_by=str(sweep_cfg.get("sort_by", "tau_b")),
                descending=sweep_cfg.get("descending"),
                reference=None if reference is None else str(reference),
            )
        except ValueError as exc:  # sweep.reference names no job
            err_console.print(f"[bold red]error:[/] {exc}")
            raise SystemExit(2) from None
        written = write_sweep_summary(summary, gate)  # type: ignore[arg-type]
        from eng5_runner.reports.sweep_compare import verdict_lines

        for line in verdict_lines(summary.rows, summary.reference):
            console.print(line, markup=False, highlight=False)
        console.print(f"Sweep summary: [bold]{written[0]}[/]")
        html = next((p for p in written if p.suffix == ".html"), None)
        if html is not None:
            console.print(f"Sweep report (HTML): [bold]{html}[/]")
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
            raise SystemExit(7)
        if not summary.gate_passed(gate):  # type: ignore[arg-type]
            err_console.print(f"[bold red]error:[/] sweep gate '{gate}' not met; see {written[0]}")
            raise SystemExit(3)
