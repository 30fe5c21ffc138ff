"""Benchmark report.html: render time and page size against the number of anchors.

Usage: ``python bench/bench_html_report.py``.  Builds anchor-align artefacts from
hand-made records (a full round robin up to 30 anchors, ten comparisons per anchor
above), then renders the page several times.  Prints a markdown table: anchors,
judgements, median render time (view-model + Jinja2), page size.
"""

from __future__ import annotations

import random
import sys
import tempfile
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _harness import median_time  # noqa: E402

from eng5_runner.reports.html import render_run_html  # noqa: E402
from tests.reports.builders import Recorder  # noqa: E402
from tests.reports.html.runs import anchors, round_robin, write_alignment_run  # noqa: E402

REASON = "The essay in slot A organises its paragraphs better and argues more clearly. " * 8
CASES = ((12, 300, 1), (30, 600, 2), (200, 300, 0), (1000, 200, 0))
"""(anchors, words per essay, round robins; 0 = ten random comparisons per anchor)."""


def records_for(n: int, repeats: int, essays: list) -> list:  # type: ignore[type-arg]
    if repeats:
        return round_robin(essays, flips=[(3, 4)], repeats=repeats, justification=REASON)
    rng, rec = random.Random(0), Recorder()
    for _ in range(n * 5):
        i, j = rng.sample(range(n), 2)
        better_first = (i < j) != (rng.random() < 0.15)
        rec.won(essays[i], essays[j], "A" if better_first else "B", justification=REASON)
    return rec.records


def main() -> None:
    import json

    print("| anchors | judgements | render (median of 5) | report.html |")
    print("|---:|---:|---:|---:|")
    for n, words, repeats in CASES:
        essays = anchors(n, words=words)
        records = records_for(n, repeats, essays)
        run_dir = Path(tempfile.mkdtemp())
        write_alignment_run(run_dir, essays, records)
        artefact = json.loads((run_dir / "artefact.json").read_text())
        summary = json.loads((run_dir / "summary.json").read_text())
        texts = {e.essay_id: e.text for e in essays}
        render = partial(render_run_html, artefact, summary, texts=texts)
        seconds, html = median_time(render, 5)
        size = len(html.encode("utf-8"))
        print(f"| {n} | {len(records)} | {seconds:.3f} s | {size / 1e6:.2f} MB |")


if __name__ == "__main__":
    main()
