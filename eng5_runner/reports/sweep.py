"""Sweep leaderboard: one row per job, rebuilt from the job directories alone."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from eng5_runner.output.atomic import write_json_atomic, write_text_atomic
from eng5_runner.reports.sweep_compare import (
    COMPARISON_HEADERS,
    CSV_FIELDS,
    compare_rows,
    comparison_cells,
    csv_values,
    leaderboard_key,
    mark_best,
    metric_cell,
    verdict_lines,
)

GateRule = Literal["none", "any", "all"]

#: Headline metrics per mode, in leaderboard column order.
HEADLINE_METRICS: dict[str, tuple[str, ...]] = {
    "anchor-align-test": (
        "tau_b",
        "tau_upstream",
        "somers_d",
        "direct_inversions",
        "majority_inversions",
        "zero_win_anchors",
        "zero_win_excl_bottom",
        "ab_regression",
        "ssr",
        "slot_a_rate",
    ),
    "boundary-test": ("pooled_win_rate", "pooled_slot_a_rate", "pooled_bias_p", "order_effect"),
}
LOWER_IS_BETTER = {
    "direct_inversions",
    "majority_inversions",
    "zero_win_anchors",
    "zero_win_excl_bottom",
    "ab_regression",
}


class SweepRow(BaseModel):
    """One job of a sweep."""

    model_config = ConfigDict(frozen=True)

    job: str
    overrides: tuple[str, ...]
    mode: str | None
    status: str
    error: str | None = None
    metrics: dict[str, float | int | list[float] | None] = {}
    targets: dict[str, bool] = {}
    targets_met: bool | None = None
    comparisons: int | None = None
    failures: int | None = None
    tokens: int | None = None
    cost_usd: float | None = None
    new_cost_usd: float | None = None
    """Spent by the job itself (judgements not served from the store)."""

    varying: tuple[str, ...] = ()
    """The overrides that differ between the sweep's jobs (set by ``collect_sweep``)."""
    baseline: dict[str, Any] | None = None
    """This job against the reference variant (``reports.sweep_compare``)."""
    is_reference: bool = False
    indistinguishable_from_best: bool | None = None
    """True: the paired comparison with the best variant finds no difference."""
    versus_best: str | None = None
    """Verdict against the best variant (``best`` for the best itself)."""

    @property
    def variant(self) -> str:
        """The overrides that tell this job apart from the others, as one short string."""
        shown = self.varying or tuple(o for o in self.overrides if not o.startswith("hydra."))
        return " ".join(shown) or self.job


class SweepSummary(BaseModel):
    """All jobs of a sweep, sorted for the leaderboard."""

    model_config = ConfigDict(frozen=True)

    sweep_dir: Path
    sort_by: str
    rows: tuple[SweepRow, ...]
    reference: str | None = None
    """Job dir name of the reference variant."""

    @property
    def failed(self) -> list[SweepRow]:
        return [row for row in self.rows if row.status not in ("success", "batch_pending")]

    @property
    def pending(self) -> list[SweepRow]:
        """Jobs whose provider batches are still processing (``judge.batch_wait=false``)."""
        return [row for row in self.rows if row.status == "batch_pending"]

    def gate_passed(self, rule: GateRule) -> bool:
        """``any``: one variant meets every target; ``all``: every variant does."""
        met = [row.targets_met is True for row in self.rows]
        if rule == "any":
            return any(met)
        if rule == "all":
            return bool(met) and all(met)
        return True


def _job_status(summary: dict[str, Any], error: dict[str, Any] | None) -> str:
    """``success`` only for a complete run without error; else why not."""
    if error and error.get("error_type") == "GateFailed":
        return "gate_failed"
    run_status = summary.get("status")
    if run_status in ("partial", "failed"):
        return str(run_status)
    return "error" if error else "success"


def read_job(job_dir: Path) -> SweepRow | None:
    """One row from a job dir's manifest, summary and error files; None if not a job."""
    manifest = _load(job_dir / "manifest.json")
    summary = _load(job_dir / "summary.json")
    error = _load(job_dir / "error.json")
    if manifest is None and summary is None and error is None:
        return None
    overrides = tuple((manifest or {}).get("overrides", []))
    mode = (summary or manifest or {}).get("mode")
    if summary is not None:
        status = _job_status(summary, error)
        return SweepRow(
            job=job_dir.name,
            overrides=overrides,
            mode=mode,
            status=status,
            error=(error or {}).get("message"),
            metrics=summary.get("metrics", {}),
            targets=summary.get("targets", {}),
            targets_met=summary.get("targets_met"),
            comparisons=summary.get("comparisons"),
            failures=summary.get("failures"),
            tokens=summary.get("tokens"),
            cost_usd=summary.get("cost_usd"),
            new_cost_usd=summary.get("new_cost_usd"),
        )
    status = "error" if error else "incomplete"
    if error and error.get("error_type") == "BatchPending":
        status = "batch_pending"
    return SweepRow(
        job=job_dir.name,
        overrides=overrides,
        mode=mode,
        status=status,
        error=(error or {}).get("message"),
    )


def collect_sweep(
    sweep_dir: Path,
    *,
    sort_by: str = "tau_b",
    descending: bool | None = None,
    reference: str | None = None,
) -> SweepSummary:
    """Read every job directory below ``sweep_dir`` (one level) into a summary.

    Each anchor-align job is compared with the ``reference`` job (``sweep_compare``); rows
    meeting their targets sort above rows failing one.
    """
    rows = [
        row
        for d in sorted(p for p in sweep_dir.iterdir() if p.is_dir())
        if (row := read_job(d)) is not None
    ]
    common = set.intersection(*(set(r.overrides) for r in rows)) if len(rows) > 1 else set()
    rows = [
        r.model_copy(
            update={
                "varying": tuple(
                    o for o in r.overrides if o not in common and not o.startswith("hydra.")
                )
            }
        )
        for r in rows
    ]
    if descending is None:
        descending = sort_by not in LOWER_IS_BETTER
    rows, ref = compare_rows(sweep_dir, rows, reference)
    ordered = sorted(rows, key=lambda row: leaderboard_key(row, sort_by, bool(descending)))
    return SweepSummary(
        sweep_dir=sweep_dir,
        sort_by=sort_by,
        rows=tuple(mark_best(sweep_dir, ordered)),
        reference=ref,
    )


def metric_columns(rows: Sequence[SweepRow]) -> list[str]:
    """Headline metric names for the modes present, in a stable order."""
    columns: list[str] = []
    for row in rows:
        for name in HEADLINE_METRICS.get(row.mode or "", tuple(row.metrics)):
            if name not in columns:
                columns.append(name)
    return columns


def _fmt(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "pass" if value else "FAIL"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def render_markdown(summary: SweepSummary, gate: GateRule = "none") -> str:
    """The leaderboard as a markdown page."""
    columns = metric_columns(summary.rows)
    header = [
        "#",
        "variant",
        "status",
        *columns,
        *COMPARISON_HEADERS,
        "comparisons",
        "failures",
        "tokens",
        "cost_usd",
        "new_cost_usd",
        "targets",
    ]
    lines = [
        f"# Sweep summary: {summary.sweep_dir.name}",
        "",
        f"{len(summary.rows)} jobs, {len(summary.failed)} failed; runs meeting their targets "
        f"first, then by `{summary.sort_by}`. Intervals are 95%: τ-b by bootstrap, Δτ-b by "
        "paired bootstrap against the reference; McNemar p in brackets Holm-adjusted.",
        "",
    ]
    if any(row.status == "success" for row in summary.rows):
        lines += ["![leaderboard](leaderboard.png)", ""]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for rank, row in enumerate(summary.rows, start=1):
        cells = [
            str(rank),
            f"`{row.variant}`",
            row.status,
            *[metric_cell(row, c) for c in columns],
            *comparison_cells(row),
            _fmt(row.comparisons),
            _fmt(row.failures),
            _fmt(row.tokens),
            _fmt(row.cost_usd),
            _fmt(row.new_cost_usd),
            _fmt(row.targets_met),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    verdicts = verdict_lines(summary.rows, summary.reference)
    if verdicts:
        lines += ["", "## Against the reference", "", *verdicts]
    if summary.failed:
        lines += ["", "## Failed jobs", ""]
        lines += [
            f"- `{row.job}` ({row.status}): {row.error or 'no result'}" for row in summary.failed
        ]
    if gate != "none":
        verdict = "passed" if summary.gate_passed(gate) else "FAILED"
        lines += ["", f"Gate `sweep.gate={gate}`: **{verdict}**"]
    return "\n".join(lines) + "\n"


def render_csv(summary: SweepSummary) -> str:
    """The leaderboard as CSV (one row per job)."""
    columns = metric_columns(summary.rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "rank",
            "job",
            "variant",
            "status",
            *columns,
            "comparisons",
            "failures",
            "tokens",
            "cost_usd",
            "new_cost_usd",
            "targets_met",
            "error",
            *CSV_FIELDS,
        ]
    )
    for rank, row in enumerate(summary.rows, start=1):
        writer.writerow(
            [
                rank,
                row.job,
                row.variant,
                row.status,
                *[row.metrics.get(c) for c in columns],
                row.comparisons,
                row.failures,
                row.tokens,
                row.cost_usd,
                row.new_cost_usd,
                row.targets_met,
                row.error or "",
                *csv_values(row),
            ]
        )
    return buffer.getvalue()


def write_sweep_summary(summary: SweepSummary, gate: GateRule = "none") -> list[Path]:
    """Write sweep_summary.{md,csv,json,html} and leaderboard.png into the sweep dir."""
    out = summary.sweep_dir
    written = [
        write_text_atomic(out / "sweep_summary.md", render_markdown(summary, gate)),
        write_text_atomic(out / "sweep_summary.csv", render_csv(summary)),
        write_json_atomic(
            out / "sweep_summary.json",
            {
                "sweep_dir": str(out),
                "sort_by": summary.sort_by,
                "reference": summary.reference,
                "gate": gate,
                "gate_passed": summary.gate_passed(gate),
                "rows": [row.model_dump(mode="json") for row in summary.rows],
            },
        ),
    ]
    from eng5_runner.reports.html import write_sweep_html

    written.append(write_sweep_html(summary, gate))
    plotted = [row for row in summary.rows if row.metrics.get(summary.sort_by) is not None]
    if plotted:
        from eng5_runner.reports.sweep_plot import write_leaderboard_plot

        written.append(write_leaderboard_plot(plotted, summary.sort_by, out / "leaderboard.png"))
    return written


def _load(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
