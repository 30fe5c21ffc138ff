"""Compare a run with a previous one (``report.baseline=<run dir>``).

Deltas of every headline metric, and — for anchor alignment — regressions:
pairs of differently graded anchors that the baseline's Bradley–Terry scale
ordered correctly and this run's scale inverts (improvements are the reverse).
Anchors are matched by essay id, i.e. by their text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from eng5_runner.errors import InputError
from eng5_runner.reports.context import Frozen
from eng5_runner.reports.markdown import escape_text, fmt_num


class MetricDelta(Frozen):
    """One metric before and now."""

    name: str
    baseline: float | None
    current: float | None

    @property
    def delta(self) -> float | None:
        if self.baseline is None or self.current is None:
            return None
        return self.current - self.baseline


class BaselineComparison(Frozen):
    """This run against its baseline."""

    baseline_dir: str
    baseline_signature: str | None
    deltas: tuple[MetricDelta, ...]
    regressions: tuple[tuple[str, str], ...]
    """(higher-graded label, lower-graded label) ordered right before, wrong now."""
    improvements: tuple[tuple[str, str], ...]
    shared_anchors: int


def load_baseline(run_dir: Path) -> dict[str, Any]:
    """The baseline run's artefact; InputError naming the key when it is not a run dir."""
    path = run_dir / "artefact.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"report.baseline={run_dir}: no artefact.json there",
            hint="point it at the directory of a finished run",
        ) from None
    except (OSError, ValueError) as exc:
        raise InputError(f"report.baseline={run_dir}: artefact.json unreadable ({exc})") from None
    if not isinstance(data, dict) or "metrics" not in data:
        raise InputError(f"report.baseline={run_dir}: artefact.json has no metrics")
    return data


def compare_with_baseline(
    current: Mapping[str, Any], baseline: Mapping[str, Any], baseline_dir: Path
) -> BaselineComparison:
    """Metric deltas and pairwise order regressions between two artefacts."""
    now_metrics, old_metrics = current.get("metrics", {}), baseline.get("metrics", {})
    deltas = tuple(
        MetricDelta(
            name=name, baseline=_num(old_metrics.get(name)), current=_num(now_metrics.get(name))
        )
        for name in sorted(set(now_metrics) | set(old_metrics))
    )
    old = _anchor_scale(baseline)
    now = _anchor_scale(current)
    shared = sorted(set(old) & set(now))
    regressions, improvements = [], []
    for i, a in enumerate(shared):
        for b in shared[i + 1 :]:
            ra, rb = old[a][1], old[b][1]
            if ra == rb:
                continue
            hi, lo = (a, b) if ra < rb else (b, a)
            right_before = old[hi][2] > old[lo][2]
            right_now = now[hi][2] > now[lo][2]
            pair = (now[hi][0], now[lo][0])
            if right_before and not right_now:
                regressions.append(pair)
            elif right_now and not right_before:
                improvements.append(pair)
    return BaselineComparison(
        baseline_dir=str(baseline_dir),
        baseline_signature=baseline.get("metadata", {}).get("run_signature"),
        deltas=deltas,
        regressions=tuple(regressions),
        improvements=tuple(improvements),
        shared_anchors=len(shared),
    )


def _anchor_scale(artefact: Mapping[str, Any]) -> dict[str, tuple[str, int, float]]:
    """essay id → (label, grade rank, θ) for anchors with a grade and a score."""
    from eng5_runner.inputs.grade_scales import FULL_16_STEP

    scale: dict[str, tuple[str, int, float]] = {}
    for row in artefact.get("bt_summary") or []:
        grade, theta = row.get("grade"), row.get("theta")
        if row.get("is_anchor") and grade in FULL_16_STEP and isinstance(theta, (int, float)):
            scale[row["essay_id"]] = (
                row.get("label", row["essay_id"]),
                FULL_16_STEP.index(grade),
                float(theta),
            )
    return scale


def _num(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def render_baseline_markdown(comparison: BaselineComparison) -> str:
    """A report section: metric deltas and pair regressions."""
    lines = [
        "## Compared with the baseline",
        "",
        f"Baseline: `{comparison.baseline_dir}` (signature "
        f"`{comparison.baseline_signature or '—'}`), {comparison.shared_anchors} shared "
        "anchors.",
        "",
        "| Metric | Baseline | Now | Δ |",
        "| --- | ---: | ---: | ---: |",
    ]
    for d in comparison.deltas:
        delta = "—" if d.delta is None else f"{d.delta:+.3f}"
        lines.append(f"| {d.name} | {fmt_num(d.baseline)} | {fmt_num(d.current)} | {delta} |")
    lines += [
        "",
        f"**Regressions** (ordered correctly in the baseline, inverted now): "
        f"{len(comparison.regressions)}",
    ]
    lines += [
        f"- {escape_text(hi)} above {escape_text(lo)} expected; now below"
        for hi, lo in comparison.regressions
    ]
    lines += [
        "",
        f"**Improvements** (inverted in the baseline, correct now): {len(comparison.improvements)}",
    ]
    lines += [
        f"- {escape_text(hi)} now above {escape_text(lo)}" for hi, lo in comparison.improvements
    ]
    return "\n".join(lines) + "\n"
