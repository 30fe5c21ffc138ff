"""A run's status from the data it holds: ``complete``, ``partial`` or ``failed``.

The status is computed, never assumed: from the records (failed ones count
against the run), the schedule (requested comparisons that never arrived
count as failed) and what the backend said (a timeout, a lost broker or a CJ
status other than success make the run partial). Rules:

- no successful comparison (but something was asked for, or the backend chose
  the comparisons and none arrived) → ``failed``;
- failed + missing above ``report.max_failed_fraction`` of the requested
  comparisons, or the backend did not finish → ``partial``;
- otherwise ``complete``.

A ``partial`` or ``failed`` run exits with :data:`INCOMPLETE_EXIT_CODE` and
carries a banner (terminal and top of report.md) with the counts and the most
frequent failure reasons, grouped and counted.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from eng5_runner.engine.records import JudgementRecord
from eng5_runner.reports.context import outcome

RunStatusValue = Literal["complete", "partial", "failed"]
INCOMPLETE_EXIT_CODE = 4
TOP_REASONS = 5
_ATTEMPTS = re.compile(r"\s*\[attempts: \d+\]\s*$")
_REASON_CHARS = 160


class ReasonCount(BaseModel):
    """One failure reason and how many comparisons ended with it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reason: str
    count: int


class RunStatus(BaseModel):
    """Counts behind the status, the status itself and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: RunStatusValue
    requested: int | None
    received: int
    succeeded: int
    failed: int
    missing: int
    failed_fraction: float | None
    max_failed_fraction: float
    reasons: tuple[ReasonCount, ...] = ()
    notes: tuple[str, ...] = ()
    """Backend facts that made the run partial (timeout, lost broker, CJ status)."""

    @property
    def partial_data(self) -> bool:
        return self.status != "complete"

    @property
    def exit_code(self) -> int:
        return 0 if self.status == "complete" else INCOMPLETE_EXIT_CODE

    def banner_lines(self) -> list[str]:
        """Plain-text lines: the headline, the backend notes, then the top reasons."""
        if self.status == "complete":
            return []
        total = self.requested if self.requested is not None else self.received
        what = "FAILED" if self.status == "failed" else "PARTIAL"
        share = f" ({self.failed_fraction:.0%})" if self.failed_fraction is not None else ""
        head = (
            f"Run {what}: {self.failed + self.missing} of {total} comparison(s) failed or "
            f"missing{share}; {self.succeeded} succeeded"
        )
        if self.status == "failed":
            head += "; no metric can be computed and no target is checked"
        elif self.failed_fraction is not None and self.failed_fraction > self.max_failed_fraction:
            head += f" (above report.max_failed_fraction={self.max_failed_fraction:g})"
        lines = [head]
        if self.missing:
            lines.append(f"{self.missing} requested comparison(s) never arrived")
        lines += list(self.notes)
        lines += [f"{r.count} × {r.reason}" for r in self.reasons[:TOP_REASONS]]
        if len(self.reasons) > TOP_REASONS:
            lines.append(f"… and {len(self.reasons) - TOP_REASONS} more reason(s)")
        return lines


def group_reasons(records: Sequence[JudgementRecord]) -> tuple[ReasonCount, ...]:
    """Failure reasons of records without a usable outcome, most frequent first."""
    counter: Counter[str] = Counter()
    for record in records:
        if outcome(record) is not None:
            continue
        text = record.failure_reason or (
            "succeeded without a valid winner" if record.succeeded else "unknown"
        )
        text = " ".join(_ATTEMPTS.sub("", text).split())
        if len(text) > _REASON_CHARS:
            text = text[: _REASON_CHARS - 1] + "…"
        counter[text] += 1
    ranked = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
    return tuple(ReasonCount(reason=r, count=c) for r, c in ranked)


def assess_run(
    records: Sequence[JudgementRecord],
    *,
    requested: int | None,
    max_failed_fraction: float,
    backend_notes: Sequence[str] = (),
) -> RunStatus:
    """Compute the status (see the module docstring)."""
    succeeded = sum(1 for record in records if outcome(record) is not None)
    failed = len(records) - succeeded
    missing = max(0, requested - len(records)) if requested is not None else 0
    total = requested if requested is not None else len(records)
    fraction = (failed + missing) / total if total else None
    status: RunStatusValue = "complete"
    if succeeded == 0 and (requested is None or requested > 0 or backend_notes):
        status = "failed"
    elif backend_notes or (fraction is not None and fraction > max_failed_fraction):
        status = "partial"
    return RunStatus(
        status=status,
        requested=requested,
        received=len(records),
        succeeded=succeeded,
        failed=failed,
        missing=missing,
        failed_fraction=round(fraction, 6) if fraction is not None else None,
        max_failed_fraction=max_failed_fraction,
        reasons=group_reasons(records),
        notes=tuple(dict.fromkeys(backend_notes)),
    )


def banner_markdown(status: RunStatus) -> str:
    """A blockquote for the top of report.md ('' for a complete run)."""
    from eng5_runner.reports.markdown import escape_text

    lines = status.banner_lines()
    if not lines:
        return ""
    head, *rest = lines
    out = [f"> **{escape_text(head)}**"]
    out += [f"> - {escape_text(line)}" for line in rest]
    return "\n".join(out)


def print_banner(status: RunStatus) -> None:
    """The banner on stderr, before the summary table (nothing for a complete run)."""
    from rich.markup import escape

    from eng5_runner.output.console import err_console

    lines = status.banner_lines()
    if not lines:
        return
    style = "bold red" if status.status == "failed" else "bold yellow"
    head, *rest = lines
    err_console.print(f"[{style}]{escape(head)}[/]", soft_wrap=True)
    for line in rest:
        err_console.print(f"  - {escape(line)}", soft_wrap=True)
