"""report.html content without a browser: size budget, escaping, statuses, newer fields."""

from __future__ import annotations

import json
import re
from pathlib import Path

from eng5_runner.reports.html import render_run_html, write_run_html_from_dir
from eng5_runner.reports.html.charts import nice_ticks
from eng5_runner.reports.html.prompts import diff_lines
from tests.reports.html.runs import XSS, anchors, round_robin, write_alignment_run

BUDGET = 3 * 1024 * 1024


def _load(run_dir: Path) -> tuple[dict, dict]:
    return (
        json.loads((run_dir / "artefact.json").read_text()),
        json.loads((run_dir / "summary.json").read_text()),
    )


def test_thirty_anchors_stay_under_the_size_budget_and_offline(tmp_path: Path) -> None:
    essays = anchors(30, words=600)
    long_reason = (
        "The essay in slot A organises its paragraphs better and argues more clearly. " * 8
    )
    records = round_robin(essays, flips=[(3, 4), (10, 12)], repeats=2, justification=long_reason)
    write_alignment_run(tmp_path, essays, records)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    size = len(html.encode("utf-8"))
    assert size < BUDGET, f"report.html is {size:,} bytes for 30 anchors"
    assert len(records) == 870 and all(e.text[:40] in html for e in essays)
    # nothing to fetch: no external src/href, and a CSP that forbids any fetch
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "default-src 'none'" in html
    assert '<link rel="stylesheet"' not in html and "<script src" not in html


def test_justifications_and_labels_are_escaped(tmp_path: Path) -> None:
    essays = anchors(4)
    records = round_robin(essays, flips=[(0, 1)], justification=XSS)
    write_alignment_run(tmp_path, essays, records)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<script>window.__pwned" not in html
    assert "&lt;script&gt;window.__pwned" in html  # server-rendered "why" snippet
    assert "\\u003cscript\\u003ewindow.__pwned" in html  # JSON data for the drill-down
    assert '<img src="x"' not in html


def test_partial_run_shows_no_pass(tmp_path: Path) -> None:
    essays = anchors(6)
    write_alignment_run(tmp_path, essays, round_robin(essays, failures=4), status="partial")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'class="pill pass"' not in html
    assert "unverified" in html and "Partial data" in html
    assert 'id="failure-banner"' in html and "4× HTTP 429: rate limited" in html


def test_failed_run_shows_na_and_an_error_banner(tmp_path: Path) -> None:
    essays = anchors(4)
    only_failures = round_robin(essays, failures=3)[-3:]
    assert all(r.status == "failed" for r in only_failures)
    write_alignment_run(tmp_path, essays, only_failures, status="failed")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'class="pill pass"' not in html
    assert "banner error" in html and "Run failed" in html
    assert ">n/a<" in html


def test_intervals_and_baseline_verdict_render_when_present(tmp_path: Path) -> None:
    essays = anchors(6)
    write_alignment_run(tmp_path, essays, round_robin(essays, flips=[(1, 2)]))
    artefact, summary = _load(tmp_path)
    summary["metrics"].update(
        tau_b_ci95=[0.61, 0.93],
        agreement_rate=0.9,
        agreement_rate_ci95=[0.8, 0.95],
        somers_d_ci95=[0.5, 0.97],
    )
    summary["baseline"] = {
        "run_dir": "/runs/base",
        "matched_comparisons": 15,
        "delta_tau_b": 0.12,
        "delta_tau_b_ci95": [0.04, 0.2],
        "mcnemar_p": 0.003,
        "discordant_b_better": 6,
        "discordant_a_better": 0,
        "verdict": "better",
    }
    html = render_run_html(artefact, summary)
    assert "[0.610, 0.930]" in html and "bootstrap 95%" in html
    assert "90.0%" in html and "[80.0%, 95.0%]" in html
    assert (
        "Against the baseline: better (Δτ-b = +0.120 [+0.040, +0.200], McNemar p = 0.003)" in html
    )
    assert 'data-metric="delta_tau_b"' in html and "6 better, 0 worse of 15 matched" in html


def test_prompt_diff_against_the_baseline(tmp_path: Path) -> None:
    essays = anchors(5)
    base_dir, run_dir = tmp_path / "base", tmp_path / "run"
    write_alignment_run(
        base_dir, essays, round_robin(essays), prompt="Line one.\nJudge the essays."
    )
    write_alignment_run(
        run_dir, essays, round_robin(essays), prompt="Line one.\nJudge the language."
    )
    artefact, summary = _load(run_dir)
    baseline, _ = _load(base_dir)
    html = render_run_html(artefact, summary, baseline=baseline)
    assert '<span class="del">-Judge the essays.</span>' in html
    assert '<span class="add">+Judge the language.</span>' in html
    assert "Same text as the baseline" in html  # the rubric did not change


def test_rebuilt_from_the_run_dir(tmp_path: Path) -> None:
    essays = anchors(5)
    write_alignment_run(tmp_path, essays, round_robin(essays, flips=[(0, 2)]))
    first = (tmp_path / "report.html").read_text()
    (tmp_path / "report.html").unlink()
    assert write_run_html_from_dir(tmp_path) == tmp_path / "report.html"
    rebuilt = (tmp_path / "report.html").read_text()
    assert rebuilt.count('data-pair="') == first.count('data-pair="')
    assert write_run_html_from_dir(tmp_path / "missing") is None


def test_nice_ticks_and_diff_lines() -> None:
    assert nice_ticks(-4.7, 4.7) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert nice_ticks(0.0, 1.0) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(1.0, 1.0) == [1.0]
    assert diff_lines("a\nb", "a\nb") == []
    assert ("add", "+c") in diff_lines("a\nb", "a\nc") and ("del", "-b") in diff_lines(
        "a\nb", "a\nc"
    )


def test_a_value_near_its_target_never_looks_equal(tmp_path: Path) -> None:
    from tests.reports.html.runs import write_boundary_run

    write_boundary_run(tmp_path)
    artefact, summary = _load(tmp_path)
    summary["metrics"]["pooled_bias_p"] = 0.0498
    summary["targets"]["pooled_bias_p"] = False
    html = render_run_html(artefact, summary)
    tile = html.split('data-metric="pooled_bias_p"', 1)[1].split("</div>\n</div>", 1)[0]
    assert ">0.0498<" in tile and "&gt;= 0.0500" in tile and ">fail<" in tile


def test_large_runs_stay_linear_and_compact(tmp_path: Path) -> None:
    import random

    from tests.reports.builders import Recorder

    essays = anchors(120, words=30)
    rng = random.Random(1)
    rec = Recorder()
    for _ in range(240):
        i, j = rng.sample(range(len(essays)), 2)
        lower_wins = rng.random() < 0.2
        a, b = essays[i], essays[j]
        better_first = (i < j) != lower_wins
        rec.won(a, b, "A" if better_first else "B")
    write_alignment_run(tmp_path, essays, rec.records)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'id="placement-strip"' in html and 'id="bt-scale"' not in html  # one strip
    assert "aggregated to grade × grade" in html
    data = json.loads(html.split('id="page-data">', 1)[1].split("</script>", 1)[0])
    inverted = html.count('class="inspect" data-open-pair=')
    assert 0 < len(data["pairs"]) == inverted  # only the inverted pairs can be opened
    assert len(data["essays"]) <= 2 * inverted
