"""Run directories written the way the runner writes them, from hand-built records."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eng5_runner.engine.records import JudgementRecord
from eng5_runner.inputs.grade_scales import LEGACY_9_STEP
from eng5_runner.inputs.inventory import Essay
from eng5_runner.reports.alignment import build_alignment
from eng5_runner.reports.artefact import build_artefact, write_artefact
from eng5_runner.reports.boundary import build_boundary
from eng5_runner.reports.context import ReportContext
from eng5_runner.reports.html import write_run_html
from eng5_runner.reports.summary import summary_from_alignment, summary_from_boundary
from eng5_runner.settings.models import PromptSettings, ReportTargets
from tests.reports.builders import Recorder, essay, settings

XSS = '<script>window.__pwned = 1</script><img src="x" onerror="window.__pwned = 2">'


def long_essay(label: str, grade: str, words: int) -> Essay:
    base = essay(label, grade)
    rng = random.Random(label)
    vocabulary = [
        "the",
        "essay",
        "argues",
        "school",
        "pupils",
        "should",
        "read",
        "more",
        "books",
        "because",
        "it",
        "helps",
    ]
    text = f"{label} ({grade}). " + " ".join(rng.choice(vocabulary) for _ in range(words))
    return base.model_copy(update={"text": text})


def anchors(n: int, words: int = 40) -> list[Essay]:
    """``n`` anchors spread over the legacy 9-step scale, best first."""
    return [
        long_essay(f"ANCHOR_{i + 1:02d}", LEGACY_9_STEP[i * len(LEGACY_9_STEP) // n], words)
        for i in range(n)
    ]


def round_robin(
    essays: Sequence[Essay],
    *,
    flips: Sequence[tuple[int, int]] = (),
    repeats: int = 1,
    justification: str = "Essay {w} develops its argument more clearly than essay {l}.",
    failures: int = 0,
) -> list[JudgementRecord]:
    """Every pair ``repeats`` times; the better essay wins except in ``flips`` (i, j) pairs."""
    rec = Recorder()
    flipped = {tuple(sorted(f)) for f in flips}
    for it in range(repeats):
        for i in range(len(essays)):
            for j in range(i + 1, len(essays)):
                a, b = (essays[i], essays[j]) if (i + j + it) % 2 else (essays[j], essays[i])
                better = essays[i]
                if (i, j) in flipped:
                    better = essays[j]
                winner = "A" if a is better else "B"
                loser = b if a is better else a
                rec.won(
                    a,
                    b,
                    winner,
                    iteration=it,
                    confidence=4.0 if (i, j) not in flipped else 2.0,
                    justification=justification.format(w=better.label, l=loser.label),
                )
    for k in range(failures):
        rec.failed(essays[k % len(essays)], essays[(k + 1) % len(essays)], "HTTP 429: rate limited")
    return rec.records


def _settings(prompt: str = "You compare two essays.") -> Any:
    base = settings()
    return base.model_copy(
        update={
            "system_prompt": PromptSettings(name="p_" + str(abs(hash(prompt)) % 1000), text=prompt)
        }
    )


def write_alignment_run(
    run_dir: Path,
    essays: Sequence[Essay],
    records: Sequence[JudgementRecord],
    *,
    status: str = "complete",
    prompt: str = "You compare two essays.",
    summary_extra: dict[str, Any] | None = None,
    overrides: Sequence[str] = (),
) -> dict[str, Any]:
    """A finished anchor-align run dir: comparisons, artefact, summary, report.html."""
    run_dir.mkdir(parents=True, exist_ok=True)
    cfg = _settings(prompt)
    ctx = ReportContext.from_settings(
        cfg, run_signature="abc123def456", git_sha=None, records=records, overrides=overrides
    )
    result = build_alignment(
        records, essays, grade_scale="eng5_np_legacy_9_step", targets=ReportTargets()
    )
    artefact = build_artefact(
        ctx=ctx,
        records=records,
        essays=essays,
        mode_result=result,
        status="partial" if status != "complete" else "complete",
    )
    summary = summary_from_alignment(
        result, ctx=ctx, status="partial" if status == "partial" else "complete"
    ).model_dump(mode="json")
    summary["status"] = status
    summary.update(summary_extra or {})
    (run_dir / "comparisons.jsonl").write_text(
        "".join(r.model_dump_json() + "\n" for r in records), encoding="utf-8"
    )
    write_artefact(run_dir / "artefact.json", artefact)
    (run_dir / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    (run_dir / "manifest.json").write_text(
        json.dumps({"overrides": list(overrides), "mode": "anchor-align-test"}), encoding="utf-8"
    )
    write_run_html(run_dir, artefact, summary, texts={e.essay_id: e.text for e in essays})
    return summary


def write_boundary_run(run_dir: Path, justification: str = "Clearer argument.") -> dict[str, Any]:
    """A boundary-test run dir over two pairs, 3 iterations in both orders."""
    run_dir.mkdir(parents=True, exist_ok=True)
    hi1, lo1, hi2, lo2 = (
        long_essay("B_HIGH", "C+", 30),
        long_essay("B_LOW", "C-", 30),
        long_essay("E_HIGH", "E+", 30),
        long_essay("E_LOW", "E-", 30),
    )
    rec = Recorder()
    for it in range(3):
        for high, low in ((hi1, lo1), (hi2, lo2)):
            rec.won(high, low, "A", iteration=it, justification=justification)
            rec.won(low, high, "A" if it == 0 else "B", iteration=it, justification=justification)
    pairs = [(hi1, lo1), (hi2, lo2)]
    result = build_boundary(rec.records, pairs, targets=ReportTargets())
    cfg = settings()
    ctx = ReportContext.from_settings(
        cfg.model_copy(update={"mode": cfg.mode.__class__("boundary-test")}),
        run_signature="b0undary0001",
        git_sha=None,
        records=rec.records,
    )
    essays = [hi1, lo1, hi2, lo2]
    artefact = build_artefact(
        ctx=ctx, records=rec.records, essays=essays, mode_result=result, status="complete"
    )
    summary = summary_from_boundary(result, ctx=ctx).model_dump(mode="json")
    write_artefact(run_dir / "artefact.json", artefact)
    (run_dir / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    write_run_html(run_dir, artefact, summary, texts={e.essay_id: e.text for e in essays})
    return summary
