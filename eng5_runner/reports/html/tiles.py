"""Headline tiles shared by the run pages: numbers, intervals, targets and verdicts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from eng5_runner.reports import markdown as md

FAILED_STATUSES = {"failed", "error"}


def num(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def interval_pair(value: object) -> tuple[float, float] | None:
    """A two-element interval list, or None."""
    if isinstance(value, list | tuple) and len(value) == 2:
        low, high = num(value[0]), num(value[1])
        if low is not None and high is not None:
            return low, high
    return None


@dataclass(frozen=True)
class Tile:
    """One headline number with its interval, target and verdict."""

    key: str
    label: str
    value: str
    raw: float | None
    interval: str | None = None
    method: str | None = None
    target: str | None = None
    verdict: str | None = None
    """pass, fail, unverified (partial data), n/a; None without a target."""
    note: str | None = None


def _verdict(passed: object, value: float | None, status: str) -> str:
    if status in FAILED_STATUSES or value is None:
        return "n/a"
    if passed is True:
        return "pass" if status == "complete" else "unverified"
    return "fail"


def target_tiles(
    artefact: Mapping[str, Any], summary: Mapping[str, Any], status: str
) -> list[Tile]:
    tiles = []
    passed_by_name = summary.get("targets") or {}
    for check in artefact.get("targets") or []:
        if not isinstance(check, Mapping):
            continue
        name = str(check.get("name"))
        metrics = summary.get("metrics") or {}
        value = num(metrics.get(name, check.get("value")))
        integer = bool(check.get("integer"))
        threshold = num(check.get("threshold"))
        digits = _digits_apart(value, threshold)
        text = md.fmt_int(value) if integer else _fmt_metric(name, value, digits)
        limit = md.fmt_int(threshold) if integer else md.fmt_num(threshold, digits)
        tiles.append(
            Tile(
                key=name,
                label=str(check.get("label", name)),
                value=text,
                raw=value,
                target=f"{check.get('comparator', '')} {limit}",
                verdict=_verdict(passed_by_name.get(name, check.get("passed")), value, status),
            )
        )
    return tiles


def with_targets(tiles: list[Tile], targets: list[Tile]) -> list[Tile]:
    """Put each target on the tile of its metric, or add it as a tile of its own."""
    out = list(tiles)
    for target in targets:
        at = next((i for i, t in enumerate(out) if t.key == target.key), None)
        if at is None:
            out.append(target)
        else:
            out[at] = replace(out[at], target=target.target, verdict=target.verdict)
    return out


def _digits_apart(value: float | None, threshold: float | None, digits: int = 3) -> int:
    """Enough decimals that a value and its target never look equal unless they are."""
    if value is None or threshold is None or value == threshold:
        return digits
    while digits < 10 and round(value, digits) == round(threshold, digits):
        digits += 1
    return digits


def _fmt_metric(name: str, value: float | None, digits: int = 3) -> str:
    if name.endswith("_p") and (value is None or value < 0.001):
        return md.fmt_p(value)
    return md.fmt_num(value, digits)


def interval_text(ci: tuple[float, float] | None, pct: bool = False) -> str | None:
    if ci is None:
        return None
    return md.fmt_interval(ci[0], ci[1], pct=pct, digits=1 if pct else 3)
