"""Sweep variants against a reference and against the best (METRICS.md "Many variants").

Every anchor-align job with an ``artefact.json`` is compared with the reference job
(``sweep.reference``: a job dir name or an override the job carries; default the first
job) by the paired comparison of ``reports.paired_runs``.  The McNemar p-values of the
variants are Holm-adjusted together (``mcnemar_p_holm``).  The best variant (the top of
the leaderboard) is then compared with every other one, and those whose verdict against
it is ``indistinguishable`` are marked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eng5_runner import stats
from eng5_runner.reports.paired_runs import PairedResult, compare_runs, p_clause

if TYPE_CHECKING:
    from eng5_runner.reports.sweep import SweepRow


def job_order(name: str) -> tuple[int, int, str]:
    """Hydra job dirs start with the job number (``2_anchor-align-test_…``): sort by it, so
    job 2 comes before job 10; names without a number after, by name."""
    match = re.match(r"(\d+)", name)
    return (0, int(match.group(1)), name) if match else (1, 0, name)


def resolve_reference(rows: Sequence[SweepRow], reference: str | None) -> SweepRow | None:
    """The reference row: by job dir name, then by an override it carries; default first job.

    An unknown name → ValueError naming ``sweep.reference`` and the jobs there are.
    """
    if not rows:
        return None
    if reference is None:
        return min(rows, key=lambda r: job_order(r.job))
    for row in rows:
        if row.job == reference or row.variant == reference:
            return row
    matches = [row for row in rows if reference in row.overrides]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(
        f"{r.job} ({r.variant})" for r in sorted(rows, key=lambda r: job_order(r.job))
    )
    why = "matches several jobs" if matches else "matches no job"
    raise ValueError(
        f"sweep.reference={reference} {why}; give a job dir name or an override, one of: {known}"
    )


def load_artefact(job_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((job_dir / "artefact.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("comparisons") else None


def _bootstrap_params(artefact: dict[str, Any]) -> tuple[int, int]:
    boot = (artefact.get("analysis") or {}).get("bootstrap") or {}
    return int(boot.get("resamples") or 1000), int(boot.get("seed") or 0)


def paired_fields(result: PairedResult, reference_job: str) -> dict[str, Any]:
    """The per-job ``baseline`` object of the sweep summary (summary.json's names)."""
    return {
        "reference": reference_job,
        "run_dir": result.run_dir,
        "matched_comparisons": result.matched_comparisons,
        "delta_tau_b": result.delta_tau_b,
        "delta_tau_b_ci95": list(result.delta_tau_b_ci95) if result.delta_tau_b_ci95 else None,
        "mcnemar_p": result.mcnemar_p,
        "mcnemar_p_holm": None,
        "discordant_b_better": result.discordant_b_better,
        "discordant_a_better": result.discordant_a_better,
        "verdict": result.verdict,
        "reason": result.reason,
    }


def compare_rows(
    sweep_dir: Path, rows: Sequence[SweepRow], reference: str | None
) -> tuple[list[SweepRow], str | None]:
    """Rows with ``baseline`` (vs the reference) filled in, and the reference job's name."""
    comparable = [r for r in rows if r.mode == "anchor-align-test" and r.status != "error"]
    ref = resolve_reference(comparable or list(rows), reference)
    if ref is None:
        return list(rows), None
    ref_artefact = load_artefact(sweep_dir / ref.job)
    fields: dict[str, dict[str, Any]] = {}
    if ref_artefact is not None:
        for row in comparable:
            if row.job == ref.job:
                continue
            artefact = load_artefact(sweep_dir / row.job)
            if artefact is None:
                continue
            resamples, seed = _bootstrap_params(artefact)
            result = compare_runs(
                artefact, ref_artefact, str(sweep_dir / ref.job), resamples=resamples, seed=seed
            )
            fields[row.job] = paired_fields(result, ref.job)
    tested = [job for job, f in fields.items() if f["verdict"] != "not comparable"]
    for job, p in zip(
        tested, stats.holm_adjust([fields[j]["mcnemar_p"] for j in tested]), strict=True
    ):
        fields[job]["mcnemar_p_holm"] = p
    out = [
        r.model_copy(update={"baseline": fields.get(r.job), "is_reference": r.job == ref.job})
        for r in rows
    ]
    return out, ref.job


def mark_best(sweep_dir: Path, rows: Sequence[SweepRow]) -> list[SweepRow]:
    """Compare the top comparable row with every other; mark the indistinguishable ones."""
    candidates = [
        r for r in rows if r.mode == "anchor-align-test" and load_artefact(sweep_dir / r.job)
    ]
    if len(candidates) < 2:
        return list(rows)
    best = candidates[0]
    best_artefact = load_artefact(sweep_dir / best.job)
    assert best_artefact is not None
    marks: dict[str, tuple[bool, str]] = {best.job: (True, "best")}
    for row in candidates[1:]:
        artefact = load_artefact(sweep_dir / row.job)
        assert artefact is not None
        resamples, seed = _bootstrap_params(artefact)
        result = compare_runs(
            artefact, best_artefact, str(sweep_dir / best.job), resamples=resamples, seed=seed
        )
        marks[row.job] = (result.verdict == "indistinguishable", result.verdict)
    return [
        r.model_copy(
            update={
                "indistinguishable_from_best": marks[r.job][0] if r.job in marks else None,
                "versus_best": marks[r.job][1] if r.job in marks else None,
            }
        )
        for r in rows
    ]


_SAFE = re.compile(r"\s+")


def short_label(text: str, width: int = 38) -> str:
    """A variant label wrapped onto lines of at most ``width`` characters (for plots)."""
    import textwrap

    flat = _SAFE.sub(" ", text).strip()
    lines = textwrap.wrap(flat, width=width, break_on_hyphens=False) or [flat]
    if len(lines) > 3:
        lines = lines[:3]
        lines[-1] = lines[-1][: width - 1] + "…"
    return "\n".join(lines)


def leaderboard_key(row: SweepRow, sort_by: str, descending: bool) -> tuple[int, int, float]:
    """Rows meeting their targets (or without targets) first, then those failing a target,
    then jobs without results; within each tier by ``sort_by`` (missing values last)."""
    if row.status not in ("success", "gate_failed"):
        tier = 2
    else:
        tier = 1 if row.targets_met is False else 0
    value = row.metrics.get(sort_by)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return (tier, 1, 0.0)
    return (tier, 0, -float(value) if descending else float(value))


COMPARISON_HEADERS = ("Δτ-b vs reference [95%]", "McNemar p (Holm)", "verdict", "≈ best")
CSV_FIELDS = (
    "tau_b_ci95",
    "agreement_rate",
    "agreement_rate_ci95",
    "somers_d_ci95",
    "reference",
    "matched_comparisons",
    "delta_tau_b",
    "delta_tau_b_ci95",
    "mcnemar_p",
    "mcnemar_p_holm",
    "discordant_b_better",
    "discordant_a_better",
    "verdict",
    "indistinguishable_from_best",
)


def _num(value: object, digits: int = 3, signed: bool = False) -> str:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return "—"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def _p(value: object) -> str:
    if not isinstance(value, (int, float)):
        return "—"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def metric_cell(row: SweepRow, name: str) -> str:
    """A metric with its 95% interval when the summary has one: ``0.812 [0.700, 0.880]``."""
    value = row.metrics.get(name)
    if value is None or isinstance(value, list):
        return "—"
    if isinstance(value, bool):
        return "pass" if value else "FAIL"
    shown = f"{value:.3f}" if isinstance(value, float) else str(value)
    ci = row.metrics.get(f"{name}_ci95")
    if isinstance(ci, list) and len(ci) == 2:
        shown += f" [{_num(ci[0])}, {_num(ci[1])}]"
    return shown


def comparison_cells(row: SweepRow) -> list[str]:
    """Cells for :data:`COMPARISON_HEADERS`."""
    best = (
        "best"
        if row.versus_best == "best"
        else ("yes" if row.indistinguishable_from_best else "no" if row.versus_best else "—")
    )
    if row.is_reference:
        return ["reference", "—", "reference", best]
    b = row.baseline
    if not b:
        return ["—", "—", "—", best]
    ci = b.get("delta_tau_b_ci95")
    delta = _num(b.get("delta_tau_b"), signed=True)
    if ci:
        delta += f" [{_num(ci[0], signed=True)}, {_num(ci[1], signed=True)}]"
    p = f"{_p(b.get('mcnemar_p'))} ({_p(b.get('mcnemar_p_holm'))})"
    return [delta, p, str(b.get("verdict")), best]


def verdict_lines(rows: Sequence[SweepRow], reference: str | None) -> list[str]:
    """One sentence per variant against the reference, as in the run reports."""
    ref = next((r for r in rows if r.is_reference), None)
    if ref is None:
        return []
    lines = [f"Reference variant: `{ref.variant}` (job `{reference}`).", ""]
    for row in rows:
        b = row.baseline
        if row.is_reference or not b:
            continue
        if b["verdict"] == "not comparable":
            lines.append(f"- `{row.variant}`: not comparable with the reference: {b['reason']}.")
            continue
        ci = b.get("delta_tau_b_ci95") or [None, None]
        verb = {
            "better": "is better than",
            "worse": "is worse than",
            "indistinguishable": "is indistinguishable from",
        }[b["verdict"]]
        lines.append(
            f"- `{row.variant}` {verb} the reference: Δτ-b = {_num(b['delta_tau_b'], signed=True)} "
            f"[{_num(ci[0], signed=True)}, {_num(ci[1], signed=True)}], McNemar "
            f"{p_clause(b['mcnemar_p'])} (Holm-adjusted {_p(b.get('mcnemar_p_holm'))}), "
            f"{b['matched_comparisons']} matched comparisons."
        )
    marked = [r.variant for r in rows if r.indistinguishable_from_best and r.versus_best != "best"]
    best = next((r for r in rows if r.versus_best == "best"), None)
    if best is not None:
        lines += [
            "",
            f"Best variant: `{best.variant}`. Indistinguishable from it (paired Δτ-b interval "
            f"includes 0): {', '.join(f'`{v}`' for v in marked) or 'none'}.",
        ]
    return lines


def csv_values(row: SweepRow) -> list[object]:
    """Values for :data:`CSV_FIELDS` (intervals as JSON ``[low, high]``)."""
    b = row.baseline or {}
    out: list[object] = []
    for name in CSV_FIELDS:
        if name in ("tau_b_ci95", "agreement_rate", "agreement_rate_ci95", "somers_d_ci95"):
            value: object = row.metrics.get(name)
        elif name == "indistinguishable_from_best":
            value = row.indistinguishable_from_best
        elif name == "reference":
            value = "reference" if row.is_reference else b.get("reference")
        elif name == "verdict" and row.is_reference:
            value = "reference"
        else:
            value = b.get(name)
        out.append(json.dumps(value) if isinstance(value, list) else value)
    return out
