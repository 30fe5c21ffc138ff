"""Self-contained HTML reports: ``report.html`` per run, ``sweep_summary.html`` per sweep.

Pages are rendered with Jinja2 (autoescaped) from a run's own files; charts are
inline SVG and the little JavaScript (sorting, drill-down) is inlined, so a page
works offline from a file, fetches nothing and stays small (docs/architecture.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eng5_runner import __version__
from eng5_runner.output.atomic import write_text_atomic

if TYPE_CHECKING:
    from eng5_runner.reports.sweep import SweepSummary

RUN_HTML = "report.html"
SWEEP_HTML = "sweep_summary.html"

__all__ = [
    "RUN_HTML",
    "SWEEP_HTML",
    "load_json",
    "render_run_html",
    "render_sweep_html",
    "write_run_html",
    "write_run_html_from_dir",
    "write_sweep_html",
]


def render_run_html(
    artefact: Mapping[str, Any],
    summary: Mapping[str, Any],
    *,
    records: Sequence[Mapping[str, Any]] | None = None,
    texts: Mapping[str, str] | None = None,
    baseline: Mapping[str, Any] | None = None,
    error: Mapping[str, Any] | None = None,
) -> str:
    """The page for one run (see :func:`~.run_view.build_run_view` for the inputs)."""
    from eng5_runner.reports.html.render import render
    from eng5_runner.reports.html.run_view import build_run_view

    view = build_run_view(
        artefact, summary, records=records, texts=texts, baseline=baseline, error=error
    )
    return render("run.html.j2", v=view, runner_version=__version__)


def write_run_html(
    run_dir: Path,
    artefact: Mapping[str, Any],
    summary: Mapping[str, Any],
    *,
    records: Sequence[Mapping[str, Any]] | None = None,
    texts: Mapping[str, str] | None = None,
    baseline: Mapping[str, Any] | None = None,
) -> Path:
    """Render and write ``run_dir/report.html`` atomically; returns its path."""
    html = render_run_html(artefact, summary, records=records, texts=texts, baseline=baseline)
    return write_text_atomic(run_dir / RUN_HTML, html)


def load_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from ``path``, or None when missing, unreadable or not an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _texts_from_sources(artefact: Mapping[str, Any]) -> dict[str, str]:
    """Essay texts re-read from the paths the artefact recorded (when still there)."""
    from eng5_runner.inputs.text_extraction import extract_text

    texts: dict[str, str] = {}
    inputs = artefact.get("inputs") or {}
    for essay in [*(inputs.get("anchors") or []), *(inputs.get("students") or [])]:
        path = Path(str(essay.get("source_path", "")))
        try:
            texts[str(essay["essay_id"])] = extract_text(path)
        except Exception:  # noqa: BLE001 - a moved or unreadable file only loses its text
            continue
    return texts


def write_run_html_from_dir(run_dir: Path) -> Path | None:
    """Rebuild ``report.html`` from a run directory's files; None when it has no artefact."""
    from eng5_runner.reports.html.records import read_jsonl

    artefact = load_json(run_dir / "artefact.json")
    if artefact is None:
        return None
    summary = load_json(run_dir / "summary.json") or {}
    records = read_jsonl(run_dir / "comparisons.jsonl") or None
    base_dir = ((artefact.get("extra") or {}).get("baseline") or {}).get("baseline_dir")
    baseline = load_json(Path(base_dir) / "artefact.json") if base_dir else None
    html = render_run_html(
        artefact,
        summary,
        records=records,
        texts=_texts_from_sources(artefact),
        baseline=baseline,
        error=load_json(run_dir / "error.json"),
    )
    return write_text_atomic(run_dir / RUN_HTML, html)


def render_sweep_html(summary: SweepSummary, gate: str = "none") -> str:
    """The sweep page: leaderboard, filters, links, compare-two-variants."""
    from eng5_runner.reports.html.render import render
    from eng5_runner.reports.html.sweep_view import build_sweep_view
    from eng5_runner.reports.sweep import metric_columns

    rows = [{**row.model_dump(mode="json"), "variant": row.variant} for row in summary.rows]
    view = build_sweep_view(
        summary.sweep_dir,
        rows,
        sort_by=summary.sort_by,
        gate=gate,
        gate_passed=summary.gate_passed(gate) if gate in ("any", "all") else None,  # type: ignore[arg-type]
        columns=metric_columns(summary.rows),
    )
    return render("sweep.html.j2", v=view, runner_version=__version__)


def write_sweep_html(summary: SweepSummary, gate: str = "none") -> Path:
    """Write ``sweep_summary.html`` into the sweep dir atomically; returns its path."""
    path = summary.sweep_dir / SWEEP_HTML
    return write_text_atomic(path, render_sweep_html(summary, gate))
