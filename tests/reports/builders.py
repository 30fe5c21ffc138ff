"""Hand-built essays, records and settings for the report tests."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from eng5_runner.engine.records import JudgementRecord
from eng5_runner.inputs.inventory import Essay, FileRecord
from eng5_runner.settings.models import (
    DatasetSettings,
    JudgeSettings,
    PromptSettings,
    RunnerMode,
    RunnerSettings,
)


def essay(label: str, grade: str | None, role: str = "anchor") -> Essay:
    text = f"Essay text of {label}. " * 5
    digest = hashlib.sha256(text.encode()).hexdigest()
    return Essay(
        essay_id=f"{role[0]}{digest[:15]}",
        label=label,
        stem=label,
        role=role,
        grade=grade,
        text=text,
        source=FileRecord(
            path=Path(f"/data/{role}s/{label}.txt"),
            exists=True,
            size_bytes=len(text),
            sha256=digest,
        ),
    )


class Recorder:
    """Numbers records c00001, c00002, … in the order they are added."""

    def __init__(self) -> None:
        self.records: list[JudgementRecord] = []

    def won(
        self,
        a: Essay,
        b: Essay,
        winner: str,
        *,
        confidence: float | None = 3.0,
        justification: str | None = "reasons",
        iteration: int = 0,
        tokens: int = 100,
        cost: float = 0.001,
    ) -> JudgementRecord:
        """Essay ``a`` in slot A, ``b`` in slot B; ``winner`` is "A" or "B"."""
        win, lose = (a, b) if winner == "A" else (b, a)
        record = JudgementRecord(
            comparison_id=f"c{len(self.records) + 1:05d}",
            essay_a_id=a.essay_id,
            essay_b_id=b.essay_id,
            iteration=iteration,
            status="succeeded",
            winner=winner,
            winner_id=win.essay_id,
            loser_id=lose.essay_id,
            confidence=confidence,
            justification=justification,
            provider="simulated",
            model="sim-1",
            prompt_tokens=tokens,
            completion_tokens=tokens // 10,
            cost_usd=cost,
        )
        self.records.append(record)
        return record

    def failed(
        self, a: Essay, b: Essay, reason: str = "timeout after 3 attempts", *, iteration: int = 0
    ) -> JudgementRecord:
        record = JudgementRecord(
            comparison_id=f"c{len(self.records) + 1:05d}",
            essay_a_id=a.essay_id,
            essay_b_id=b.essay_id,
            iteration=iteration,
            status="failed",
            failure_reason=reason,
            provider="simulated",
            model="sim-1",
        )
        self.records.append(record)
        return record


def perfect_round_robin(anchors: Sequence[Essay]) -> list[JudgementRecord]:
    """Every pair once; the essay listed first always wins; slots alternate."""
    rec = Recorder()
    for i in range(len(anchors)):
        for j in range(i + 1, len(anchors)):
            if (i + j) % 2:
                rec.won(anchors[i], anchors[j], "A")
            else:
                rec.won(anchors[j], anchors[i], "B")
    return rec.records


def settings(
    mode: RunnerMode = RunnerMode.ANCHOR_ALIGN_TEST, provider: str = "simulated"
) -> RunnerSettings:
    return RunnerSettings(
        mode=mode,
        dataset=DatasetSettings(name="unit", anchors_dir=Path("/data/anchors")),
        judge=JudgeSettings(provider=provider, model="sim-1"),
        system_prompt=PromptSettings(name="001_baseline", text="You compare two essays."),
        rubric=PromptSettings(name="r_fenced", text="Judge clarity.\n```\ninner fence\n```"),
        batch_label="unit-batch",
        experiment_name="unit_v1",
    )
