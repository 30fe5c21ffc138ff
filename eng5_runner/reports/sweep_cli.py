"""``eng5-runner-summary SWEEP_DIR``: rebuild a sweep's leaderboard from its job dirs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, rebuild the summary, exit like the sweep would."""
    parser = argparse.ArgumentParser(prog="eng5-runner-summary", description=__doc__)
    parser.add_argument("sweep_dir", type=Path)
    parser.add_argument("--sort-by", default="tau_b")
    parser.add_argument("--ascending", action="store_true")
    parser.add_argument("--gate", choices=("none", "any", "all"), default="none")
    parser.add_argument(
        "--reference", default=None, help="reference variant: job dir name or override"
    )
    args = parser.parse_args(argv)
    from eng5_runner.output.console import console, err_console
    from eng5_runner.reports.sweep import collect_sweep, write_sweep_summary

    if not args.sweep_dir.is_dir():
        err_console.print(f"[bold red]error:[/] {args.sweep_dir}: not a directory")
        sys.exit(2)
    try:
        summary = collect_sweep(
            args.sweep_dir,
            sort_by=args.sort_by,
            descending=None if not args.ascending else False,
            reference=args.reference,
        )
    except ValueError as exc:  # --reference names no job
        err_console.print(f"[bold red]error:[/] {exc}")
        sys.exit(2)
    if not summary.rows:
        err_console.print(f"[bold red]error:[/] {args.sweep_dir}: no job directories found")
        sys.exit(2)
    written = write_sweep_summary(summary, args.gate)
    console.print(written[0].read_text(encoding="utf-8"))
    if summary.failed:
        sys.exit(1)
    if not summary.gate_passed(args.gate):
        sys.exit(3)


if __name__ == "__main__":
    main()
