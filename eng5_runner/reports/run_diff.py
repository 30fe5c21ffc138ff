"""What differs between two runs' artefacts: prompts, rubric, judge, parameters, overrides."""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from typing import Any

from eng5_runner.reports.context import Frozen
from eng5_runner.reports.markdown import fenced


class PromptChange(Frozen):
    """A system prompt or rubric in both runs; ``diff`` is unified (baseline → this run)."""

    key: str
    name_a: str | None
    name_b: str | None
    sha256_a: str | None
    sha256_b: str | None
    diff: str = ""

    @property
    def changed(self) -> bool:
        return self.sha256_a != self.sha256_b


class RunDifferences(Frozen):
    """Run B (this run) against run A (the baseline)."""

    prompts: tuple[PromptChange, ...]
    judge_a: str
    judge_b: str
    params_changed: tuple[tuple[str, str, str], ...]
    """(parameter, baseline value, this run's value) for generation parameters that differ."""
    overrides_only_a: tuple[str, ...]
    overrides_only_b: tuple[str, ...]


def _prompt(artefact: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    prompts = (artefact.get("inputs") or {}).get("prompts") or {}
    value = prompts.get(key)
    return value if isinstance(value, Mapping) else {}


def _judge(artefact: Mapping[str, Any]) -> Mapping[str, Any]:
    judge = (artefact.get("metadata") or {}).get("judge")
    return judge if isinstance(judge, Mapping) else {}


def _flat(params: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in params.items():
        if isinstance(value, Mapping):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = json.dumps(value, sort_keys=True, default=str)
    return out


def diff_runs(current: Mapping[str, Any], baseline: Mapping[str, Any]) -> RunDifferences:
    """The differences that can explain a change in the numbers."""
    prompts = []
    for key in ("system_prompt", "rubric"):
        a, b = _prompt(baseline, key), _prompt(current, key)
        text_a, text_b = a.get("text") or "", b.get("text") or ""
        diff = "".join(
            difflib.unified_diff(
                text_a.splitlines(keepends=True),
                text_b.splitlines(keepends=True),
                fromfile=f"baseline/{a.get('name')}",
                tofile=f"this run/{b.get('name')}",
            )
        )
        prompts.append(
            PromptChange(
                key=key,
                name_a=a.get("name"),
                name_b=b.get("name"),
                sha256_a=a.get("sha256"),
                sha256_b=b.get("sha256"),
                diff=diff,
            )
        )
    ja, jb = _judge(baseline), _judge(current)
    pa, pb = _flat(ja.get("generation_params") or {}), _flat(jb.get("generation_params") or {})
    changed = tuple(
        (k, pa.get(k, "—"), pb.get(k, "—"))
        for k in sorted(pa.keys() | pb.keys())
        if pa.get(k) != pb.get(k)
    )
    oa = list((baseline.get("metadata") or {}).get("overrides") or [])
    ob = list((current.get("metadata") or {}).get("overrides") or [])
    return RunDifferences(
        prompts=tuple(prompts),
        judge_a=f"{ja.get('provider', '?')}/{ja.get('model', '?')}",
        judge_b=f"{jb.get('provider', '?')}/{jb.get('model', '?')}",
        params_changed=changed,
        overrides_only_a=tuple(o for o in oa if o not in ob),
        overrides_only_b=tuple(o for o in ob if o not in oa),
    )


def render_differences(d: RunDifferences) -> str:
    """A "What differs" subsection (markdown)."""
    lines = ["### What differs", ""]
    for p in d.prompts:
        a, b = (p.sha256_a or "—")[:12], (p.sha256_b or "—")[:12]
        state = "changed" if p.changed else "same"
        lines.append(f"- {p.key}: `{p.name_a}` (sha256 `{a}`) → `{p.name_b}` (`{b}`): {state}")
    same_judge = d.judge_a == d.judge_b
    lines.append(f"- Judge: `{d.judge_a}`" + ("" if same_judge else f" → `{d.judge_b}`"))
    if d.params_changed:
        shown = "; ".join(f"`{k}` {a} → {b}" for k, a, b in d.params_changed)
        lines.append(f"- Judge parameters that differ: {shown}")
    else:
        lines.append("- Judge parameters: same")
    only_a = ", ".join(f"`{o}`" for o in d.overrides_only_a) or "none"
    only_b = ", ".join(f"`{o}`" for o in d.overrides_only_b) or "none"
    lines.append(f"- Overrides only in the baseline: {only_a}; only in this run: {only_b}")
    for p in d.prompts:
        if p.changed and p.diff:
            lines += ["", f"Unified diff of the {p.key} text (baseline → this run):", ""]
            lines.append(fenced(p.diff, "diff"))
    return "\n".join(lines)
