"""The prompts a run used, and line diffs between two prompt texts (stdlib difflib)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DiffLine = tuple[str, str]
"""(kind, text): kind is ``add``, ``del``, ``hunk`` or ``ctx``."""

PROMPT_KINDS = (("system_prompt", "System prompt"), ("rubric", "Rubric"))


def diff_lines(before: str | None, after: str | None, context: int = 3) -> list[DiffLine]:
    """A unified diff of two texts as classified lines; empty when they are equal."""
    if (before or "") == (after or ""):
        return []
    lines = difflib.unified_diff(
        (before or "").splitlines(),
        (after or "").splitlines(),
        "baseline",
        "this run",
        n=context,
        lineterm="",
    )
    out: list[DiffLine] = []
    for line in lines:
        if line.startswith(("---", "+++")):
            continue
        kind = {"@": "hunk", "+": "add", "-": "del"}.get(line[:1], "ctx")
        out.append((kind, line))
    return out


@dataclass(frozen=True)
class PromptView:
    kind: str
    title: str
    name: str
    sha256: str | None
    text: str | None
    baseline_name: str | None = None
    baseline_sha256: str | None = None
    diff: tuple[DiffLine, ...] = ()

    @property
    def changed(self) -> bool:
        return self.baseline_sha256 is not None and self.baseline_sha256 != self.sha256


def prompts_of(artefact: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``inputs.prompts`` of an artefact: kind → {name, text, sha256}."""
    prompts = (artefact.get("inputs") or {}).get("prompts") or {}
    return {k: v for k, v in prompts.items() if isinstance(v, dict)}


def prompt_views(
    artefact: Mapping[str, Any], baseline: Mapping[str, Any] | None = None
) -> list[PromptView]:
    """This run's prompts, each with a diff against the baseline's when one is given."""
    mine = prompts_of(artefact)
    theirs = prompts_of(baseline) if baseline is not None else {}
    views = []
    for kind, title in PROMPT_KINDS:
        entry = mine.get(kind) or {}
        old = theirs.get(kind) if baseline is not None else None
        views.append(
            PromptView(
                kind=kind,
                title=title,
                name=str(entry.get("name", "—")),
                sha256=entry.get("sha256"),
                text=entry.get("text"),
                baseline_name=None if old is None else str(old.get("name", "—")),
                baseline_sha256=None if old is None else old.get("sha256"),
                diff=tuple(diff_lines(old.get("text"), entry.get("text"))) if old else (),
            )
        )
    return views
