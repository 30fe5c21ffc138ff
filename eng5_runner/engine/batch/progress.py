"""Progress while batches are processed: status, done/failed, elapsed, deadline.

A rich table-like bar per batch on a terminal; otherwise one stderr line per
change of status or counts. Neither provider publishes an ETA for a batch:
the deadline shown is the end of its completion window (``expires_at``), and
rich's time-remaining column extrapolates from the progress so far.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from eng5_runner.engine.batch.api import BatchState
from eng5_runner.output.console import err_console


def deadline_text(expires_at: float | None) -> str:
    if expires_at is None:
        return ""
    return "deadline " + datetime.fromtimestamp(expires_at, UTC).strftime("%Y-%m-%d %H:%M UTC")


class BatchProgress:
    """One line per batch; see the module docstring."""

    def __init__(self, *, enabled: bool = True, console: Console | None = None) -> None:
        self.console = console or err_console
        self.enabled = enabled
        self.bar: Progress | None = None
        self.tasks: dict[str, TaskID] = {}
        self.last: dict[str, tuple[str, int, int]] = {}
        self.started = time.monotonic()
        if enabled and self.console.is_terminal:
            self.bar = Progress(
                TextColumn("[bold]{task.description}"),
                TextColumn("{task.fields[status]}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("[red]{task.fields[failed]} failed"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                TextColumn("[dim]{task.fields[deadline]}"),
                console=self.console,
            )

    def __enter__(self) -> BatchProgress:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.bar is not None:
            self.bar.stop()

    def update(self, state: BatchState, total: int) -> None:
        """Show the batch's latest state (``total``: its requests, from the ledger)."""
        done = state.succeeded + state.failed
        if self.bar is not None:
            status, deadline = state.status, deadline_text(state.expires_at)
            if state.batch_id not in self.tasks:
                self.tasks[state.batch_id] = self.bar.add_task(
                    f"batch {state.batch_id[-12:]}",
                    total=total,
                    completed=done,
                    status=status,
                    failed=state.failed,
                    deadline=deadline,
                )
            else:
                self.bar.update(
                    self.tasks[state.batch_id],
                    completed=done,
                    status=status,
                    failed=state.failed,
                    deadline=deadline,
                )
            return
        now = (state.status, state.succeeded, state.failed)
        if self.enabled and self.last.get(state.batch_id) != now:
            self.last[state.batch_id] = now
            elapsed = time.monotonic() - self.started
            self.console.print(
                f"batch {state.batch_id}: {state.status}, {done}/{total} done, "
                f"{state.failed} failed, {elapsed:.0f} s elapsed {deadline_text(state.expires_at)}",
                highlight=False,
                markup=False,
            )
