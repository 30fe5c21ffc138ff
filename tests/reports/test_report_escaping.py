"""Untrusted text in report.md: judge justifications, failure reasons and labels stay inert."""

from __future__ import annotations

from eng5_runner.reports.alignment import build_alignment, render_alignment_markdown
from eng5_runner.reports.context import ReportContext
from eng5_runner.settings.models import ReportTargets
from tests.reports.builders import Recorder, essay, settings

EVIL = "<img src=x onerror=alert(1)> | ![t](http://evil.example/p.png)\n# heading"


def test_justification_reason_and_label_are_escaped() -> None:
    high, low = essay("ANCHOR_<b>1</b>", "B"), essay("ANCHOR_2", "D+")
    rec = Recorder()
    rec.won(high, low, "B", justification=EVIL)  # an inversion: its justification is shown
    rec.failed(low, high, EVIL)
    result = build_alignment(
        rec.records, (high, low), grade_scale="eng5_np_legacy_9_step", targets=ReportTargets()
    )
    ctx = ReportContext.from_settings(
        settings(), run_signature="abc123def456", git_sha=None, records=rec.records
    )
    text = render_alignment_markdown(result, ctx.with_warnings(EVIL))
    assert "<img" not in text and "<b>" not in text and "](http://evil" not in text
    assert "&lt;img" in text and "\n# heading" not in text
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.startswith("|"):
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    for block in (b for b in blocks if b):  # no cell breaks out of its table
        widths = {line.replace("\\|", "").count("|") for line in block}
        assert len(widths) == 1, block
