"""Judgement records as plain dicts (from artefact.json or comparisons.jsonl).

The HTML reports read records defensively: a record from a newer or older
runner with extra or missing keys still renders.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

Record = Mapping[str, Any]

#: Justifications and essays longer than this are cut in the page (with a marker).
JUSTIFICATION_LIMIT = 4_000
ESSAY_LIMIT = 40_000


class Decided(NamedTuple):
    winner_id: str
    loser_id: str
    slot_a_won: bool


def decided(record: Record) -> Decided | None:
    """Winner, loser and slot of a successful record; None when failed or undecided."""
    if record.get("status") != "succeeded":
        return None
    a, b = record.get("essay_a_id"), record.get("essay_b_id")
    winner = record.get("winner_id")
    if winner is None and record.get("winner") in ("A", "B"):
        winner = a if record.get("winner") == "A" else b
    if not isinstance(a, str) or not isinstance(b, str) or a == b or winner not in (a, b):
        return None
    return Decided(str(winner), b if winner == a else a, winner == a)


def pair_key(first: str, second: str) -> str:
    """The key of an unordered essay pair."""
    return "|".join(sorted((first, second)))


def by_pair(records: Iterable[Record]) -> dict[str, list[Record]]:
    """Every record (failed ones too), grouped by unordered essay pair, in file order."""
    grouped: dict[str, list[Record]] = {}
    for record in records:
        a, b = record.get("essay_a_id"), record.get("essay_b_id")
        if isinstance(a, str) and isinstance(b, str):
            grouped.setdefault(pair_key(a, b), []).append(record)
    return grouped


def clip(text: str | None, limit: int) -> str | None:
    """``text`` cut to ``limit`` characters with a visible marker."""
    if text is None or len(text) <= limit:
        return text
    return text[:limit].rstrip() + f" … [cut: {len(text) - limit:,} more characters]"


@dataclass(frozen=True)
class FailureGroup:
    reason: str
    count: int
    items: tuple[tuple[str, str, str, int], ...]
    """(comparison id, essay A label, essay B label, iteration)."""


def failure_groups(records: Iterable[Record], labels: Mapping[str, str]) -> list[FailureGroup]:
    """Records without a usable outcome, grouped by reason, most frequent first."""
    groups: dict[str, list[tuple[str, str, str, int]]] = {}
    for record in records:
        if decided(record) is not None:
            continue
        reason = record.get("failure_reason") or (
            "succeeded without a valid winner" if record.get("status") == "succeeded" else "unknown"
        )
        reason = " ".join(str(reason).split())[:300]
        a, b = str(record.get("essay_a_id", "?")), str(record.get("essay_b_id", "?"))
        groups.setdefault(reason, []).append(
            (
                str(record.get("comparison_id", "?")),
                labels.get(a, a),
                labels.get(b, b),
                int(record.get("iteration") or 0),
            )
        )
    ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return [FailureGroup(reason, len(items), tuple(items)) for reason, items in ordered]


def reason_counts(groups: Sequence[FailureGroup]) -> Counter[str]:
    return Counter({g.reason: g.count for g in groups})


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Records from a ``comparisons.jsonl``; unreadable lines are skipped."""
    rows: list[dict[str, Any]] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return rows
    for line in lines:
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows
