"""Compare a run with a previous one (``report.baseline=<run dir>``).

- The paired comparison on the comparisons both runs made (``reports.paired_runs``):
  Δτ-b with its paired bootstrap interval, McNemar counts and p, and the verdict.
- What differs between the runs (``reports.run_diff``): prompt and rubric hashes with a
  unified diff, judge model and parameters, overrides.
- Deltas of every headline metric, in the report's order, with better/worse; and — for
  anchor alignment — regressions: pairs of differently graded anchors that the baseline's
  Bradley–Terry scale ordered correctly and this run's scale inverts (improvements are the
  reverse).  Anchors are matched by essay id, i.e. by their text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from eng5_runner.errors import InputError
from eng5_runner.reports.context import Frozen
from eng5_runner.reports.markdown import escape_text, fmt_num
from eng5_runner.reports.paired_runs import PairedResult, compare_runs, verdict_sentence
from eng5_runner.reports.run_diff import RunDifferences, diff_runs, render_differences

#: Metrics where a smaller value is better (the rest: larger is better, or no direction).
LOWER_IS_BETTER = frozenset(
    {
        "direct_inversions",
        "majority_inversions",
        "zero_win_anchors",
        "zero_win_excl_bottom",
        "ab_regression",
        "inversion_rate",
    }
)
HIGHER_IS_BETTER = frozenset(
    {
        "tau_b",
        "tau_upstream",
        "somers_d",
        "ssr",
        "agreement_rate",
        "self_consistency",
        "pooled_win_rate",
        "position_consistency",
        "modal_agreement",
    }
)
#: Bookkeeping keys of ``metrics`` left out of the delta table.
NOT_COMPARED = frozenset({"bootstrap_resamples", "bt_converged", "repeated_pairs"})
#: Counts shown without decimals.
INTEGER_METRICS = frozenset(
    {
        "direct_inversions",
        "majority_inversions",
        "zero_win_anchors",
        "zero_win_excl_bottom",
        "ab_regression",
        "repeated_pairs",
        "bootstrap_resamples",
        "bt_converged",
    }
)


class MetricDelta(Frozen):
    """One metric before and now."""

    name: str
    baseline: float | None
    current: float | None
    baseline_ci95: tuple[float, float] | None = None
    current_ci95: tuple[float, float] | None = None

    @property
    def delta(self) -> float | None:
        if self.baseline is None or self.current is None:
            return None
        return self.current - self.baseline

    @property
    def direction(self) -> str:
        """``better`` / ``worse`` / ``same`` for metrics with a direction, else ""."""
        d = self.delta
        if d is None or (self.name not in LOWER_IS_BETTER and self.name not in HIGHER_IS_BETTER):
            return ""
        if abs(d) < 1e-12:
            return "same"
        return "better" if (d > 0) == (self.name in HIGHER_IS_BETTER) else "worse"


class BaselineComparison(Frozen):
    """This run against its baseline."""

    baseline_dir: str
    baseline_signature: str | None
    deltas: tuple[MetricDelta, ...]
    regressions: tuple[tuple[str, str], ...]
    """(higher-graded label, lower-graded label) ordered right before, wrong now."""
    improvements: tuple[tuple[str, str], ...]
    shared_anchors: int
    paired: PairedResult | None = None
    """The paired comparison on matched comparisons (None: no comparisons to match)."""
    differences: RunDifferences | None = None


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
    current: Mapping[str, Any],
    baseline: Mapping[str, Any],
    baseline_dir: Path,
    *,
    resamples: int = 1000,
    seed: int = 0,
    ridge: float | None = None,
) -> BaselineComparison:
    """Paired comparison, differences, metric deltas and order regressions of two artefacts."""
    now_metrics, old_metrics = current.get("metrics", {}), baseline.get("metrics", {})
    names = [
        n
        for n in dict.fromkeys([*now_metrics, *old_metrics])
        if not n.endswith("_ci95") and n not in NOT_COMPARED
    ]
    deltas = tuple(
        MetricDelta(
            name=name,
            baseline=_num(old_metrics.get(name)),
            current=_num(now_metrics.get(name)),
            baseline_ci95=_interval(old_metrics.get(f"{name}_ci95")),
            current_ci95=_interval(now_metrics.get(f"{name}_ci95")),
        )
        for name in names
        if _num(old_metrics.get(name)) is not None or _num(now_metrics.get(name)) is not None
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
    paired = None
    if current.get("comparisons") and baseline.get("comparisons"):
        paired = compare_runs(
            current, baseline, str(baseline_dir), resamples=resamples, seed=seed, ridge=ridge
        )
    return BaselineComparison(
        baseline_dir=str(baseline_dir),
        baseline_signature=baseline.get("metadata", {}).get("run_signature"),
        deltas=deltas,
        regressions=tuple(regressions),
        improvements=tuple(improvements),
        shared_anchors=len(shared),
        paired=paired,
        differences=diff_runs(current, baseline),
    )


def baseline_summary(comparison: BaselineComparison) -> dict[str, Any] | None:
    """The ``baseline`` object of summary.json and the artefact (METRICS.md names)."""
    p = comparison.paired
    if p is None:
        return None
    return {
        "run_dir": comparison.baseline_dir,
        "matched_comparisons": p.matched_comparisons,
        "delta_tau_b": p.delta_tau_b,
        "delta_tau_b_ci95": list(p.delta_tau_b_ci95) if p.delta_tau_b_ci95 else None,
        "mcnemar_p": p.mcnemar_p,
        "discordant_b_better": p.discordant_b_better,
        "discordant_a_better": p.discordant_a_better,
        "verdict": p.verdict,
        "reason": p.reason,
    }


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


def _interval(value: object) -> tuple[float, float] | None:
    if isinstance(value, (list, tuple)) and len(value) == 2:
        low, high = _num(value[0]), _num(value[1])
        if low is not None and high is not None:
            return low, high
    return None


def _fmt_metric(name: str, value: float | None, ci: tuple[float, float] | None) -> str:
    if value is None:
        return "—"
    shown = str(int(round(value))) if name in INTEGER_METRICS else fmt_num(value)
    return f"{shown} [{fmt_num(ci[0])}, {fmt_num(ci[1])}]" if ci else shown


def _fmt_delta(name: str, delta: float | None) -> str:
    if delta is None:
        return "—"
    return f"{int(round(delta)):+d}" if name in INTEGER_METRICS else f"{delta:+.3f}"


def render_baseline_markdown(comparison: BaselineComparison) -> str:
    """A report section: verdict, differences, metric deltas and pair regressions."""
    lines = [
        "## Compared with the baseline",
        "",
        f"Baseline: `{comparison.baseline_dir}` (signature "
        f"`{comparison.baseline_signature or '—'}`), {comparison.shared_anchors} shared "
        "anchors.",
        "",
    ]
    p = comparison.paired
    if p is not None:
        lines += [f"**{verdict_sentence(p)}**", ""]
        if p.verdict != "not comparable":
            lines += [
                "| Paired comparison | Baseline (A) | This run (B) |",
                "| --- | ---: | ---: |",
                f"| τ-b on the matched comparisons | {fmt_num(p.tau_b_a)} | {fmt_num(p.tau_b_b)} |",
                f"| Agreement rate on the {p.cross_grade_matched} matched cross-grade "
                f"comparisons | {fmt_num(p.agreement_rate_a)} | {fmt_num(p.agreement_rate_b)} |",
                f"| Discordant: ordered as the experts do where the other run is not | "
                f"{p.discordant_a_better} | {p.discordant_b_better} |",
                "",
                f"Matched by (anchor pair, slot order, iteration): {p.matched_comparisons} "
                f"comparisons. McNemar: exact two-sided binomial test on the discordant "
                f"counts. Δτ-b interval: {p.method}, {p.resamples} resamples, seed {p.seed}; "
                "**better** / **worse** when it excludes 0, else **indistinguishable**.",
                "",
            ]
    if comparison.differences is not None:
        lines += [render_differences(comparison.differences), ""]
    lines += [
        "| Metric | Baseline | Now | Δ | Better / worse |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for d in comparison.deltas:
        lines.append(
            f"| {d.name} | {_fmt_metric(d.name, d.baseline, d.baseline_ci95)} | "
            f"{_fmt_metric(d.name, d.current, d.current_ci95)} | {_fmt_delta(d.name, d.delta)} | "
            f"{d.direction or '—'} |"
        )
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
