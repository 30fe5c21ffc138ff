"""The anchor-align page's headline: its metric tiles and the one-sentence verdict."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from eng5_runner.reports import markdown as md
from eng5_runner.reports.html.tiles import FAILED_STATUSES, Tile, interval_pair, interval_text, num

if TYPE_CHECKING:
    from eng5_runner.reports.html.alignment_view import Inversion


def alignment_tiles(
    metrics: Mapping[str, Any], analysis: Mapping[str, Any], status: str
) -> list[Tile]:
    """τ-b, agreement rate, Somers' d and slot-A share, each with its interval."""
    tau = num(metrics.get("tau_b"))
    tau_ci = interval_pair(metrics.get("tau_b_ci95"))
    ceiling = num(metrics.get("tau_b_ceiling"))
    tiles = [
        Tile(
            key="tau_b",
            label="Kendall's τ-b with the expert grades",
            value=md.fmt_num(tau),
            raw=tau,
            interval=interval_text(tau_ci),
            method="bootstrap 95%: how much τ-b moves if the judge is asked again"
            if tau_ci
            else "no interval in this run's summary",
            note=f"ceiling {md.fmt_num(ceiling)} given ties in the grades" if ceiling else None,
        )
    ]
    rate = num(metrics.get("agreement_rate"))
    rate_ci = interval_pair(metrics.get("agreement_rate_ci95"))
    method = "Wilson 95%"
    if rate is None:  # older runners: derive it from the inversion counts
        cross = num(analysis.get("cross_grade_comparisons"))
        inverted = num(analysis.get("inverted_comparisons"))
        if cross and inverted is not None:
            from eng5_runner.stats import wilson_interval

            rate = (cross - inverted) / cross
            rate_ci = wilson_interval(int(cross - inverted), int(cross))
            method = f"Wilson 95%, {int(cross - inverted)} of {int(cross)} cross-grade comparisons"
    tiles.append(
        Tile(
            key="agreement_rate",
            label="Comparisons won by the higher grade",
            value=md.fmt_pct(rate, 1),
            raw=rate,
            interval=interval_text(rate_ci, pct=True),
            method=method if rate is not None else None,
        )
    )
    somers = num(metrics.get("somers_d"))
    somers_ci = interval_pair(metrics.get("somers_d_ci95"))
    tiles.append(
        Tile(
            key="somers_d",
            label="Somers' d (scale | grade)",
            value=md.fmt_num(somers),
            raw=somers,
            interval=interval_text(somers_ci),
            method="bootstrap 95%" if somers_ci else None,
        )
    )
    position = analysis.get("position") or {}
    slot = num(metrics.get("slot_a_rate"))
    low, high = num(position.get("low")), num(position.get("high"))
    tiles.append(
        Tile(
            key="slot_a_rate",
            label="Won by the essay in slot A",
            value=md.fmt_pct(slot, 1),
            raw=slot,
            interval=interval_text(
                (low, high) if low is not None and high is not None else None, pct=True
            ),
            method="Wilson 95%",
            note=f"binomial p = {md.fmt_p(num(metrics.get('slot_a_p')))} vs 50%",
        )
    )
    return tiles


def alignment_headline(
    tiles: Sequence[Tile], inversions: Sequence[Inversion], status: str, summary: Mapping[str, Any]
) -> tuple[str, str]:
    """The verdict sentence and its tone (good / bad / warn / neutral)."""
    if status in FAILED_STATUSES:
        return "The run failed: there is no scale to compare with the experts.", "bad"
    tau = tiles[0]
    parts = [f"τ-b = {tau.value}" + (f" {tau.interval}" if tau.interval else "")]
    targets = [t for t in tiles if t.target]
    met = sum(1 for t in targets if t.verdict == "pass")
    missed = [t.label for t in targets if t.verdict == "fail"]
    if targets:
        parts.append(f"{met} of {len(targets)} targets met")
    if inversions:
        worst = inversions[0]
        parts.append(
            f"{len(inversions)} inverted pair(s), worst {worst.lower.label} ({worst.lower.grade}) "
            f"over {worst.higher.label} ({worst.higher.grade}) "
            f"{worst.lower_wins}–{worst.higher_wins}"
        )
    else:
        parts.append("no inverted pair")
    sentence = "; ".join(parts) + "."
    if missed:
        sentence += " Missed: " + ", ".join(missed) + "."
    base = summary.get("baseline")
    if isinstance(base, Mapping) and base.get("verdict"):
        ci = interval_pair(base.get("delta_tau_b_ci95"))
        sentence += (
            f" Against the baseline: {base['verdict']}"
            + (
                f" (Δτ-b = {_signed(num(base.get('delta_tau_b')))}"
                if base.get("delta_tau_b") is not None
                else ""
            )
            + (f" [{_signed(ci[0])}, {_signed(ci[1])}]" if ci else "")
            + (
                f", McNemar p = {md.fmt_p(num(base.get('mcnemar_p')))}"
                if base.get("mcnemar_p") is not None
                else ""
            )
            + (")" if base.get("delta_tau_b") is not None else "")
            + "."
        )
    if status != "complete":
        return sentence + " Partial data: no target can pass.", "warn"
    tone = "good" if targets and not missed else ("bad" if missed else "neutral")
    return sentence, tone


def _signed(value: float | None) -> str:
    return "—" if value is None else f"{value:+.3f}"
