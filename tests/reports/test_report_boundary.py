"""boundary-test report: per-pair and pooled statistics, degenerate cases never crash."""

from __future__ import annotations

import re

import pytest
from rich.console import Console

from eng5_runner.reports.boundary import (
    BoundaryResult,
    build_boundary,
    print_boundary_summary,
    render_boundary_markdown,
)
from eng5_runner.reports.context import ReportContext
from eng5_runner.settings.models import ReportTargets, RunnerMode
from eng5_runner.stats import mean_t_interval, wilson_interval
from tests.reports.builders import Recorder, essay, settings

H1, L1 = essay("H1", "B"), essay("L1", "C+")
H2, L2 = essay("H2", "D+"), essay("L2", "D-")
H3, L3 = essay("H3", "E+"), essay("L3", "E-")
PAIRS = ((H1, L1), (H2, L2), (H3, L3))


def records() -> Recorder:
    rec = Recorder()
    # pair 1: three iterations, both orders
    rec.won(H1, L1, "A", confidence=4, iteration=0)
    rec.won(L1, H1, "B", confidence=5, iteration=0)
    rec.won(H1, L1, "A", confidence=4, iteration=1)
    rec.won(L1, H1, "A", confidence=2, iteration=1)  # lower wins from slot A
    rec.failed(H1, L1, iteration=2)
    rec.won(L1, H1, "B", confidence=3, iteration=2)
    # pair 2: a single judgement (n = 1, k = n)
    rec.won(H2, L2, "A", confidence=3, iteration=0)
    # pair 3: nothing usable
    rec.failed(H3, L3, "provider 500")
    return rec


@pytest.fixture(scope="module")
def result() -> BoundaryResult:
    return build_boundary(records().records, PAIRS, targets=ReportTargets())


def test_pair_with_both_orders(result: BoundaryResult) -> None:
    pair = result.pairs[0]
    s = pair.stats
    assert (pair.higher, pair.lower, pair.higher_grade) == ("H1", "L1", "B")
    assert (s.comparisons, s.failures) == (5, 1)
    assert (s.win.k, s.win.n, s.win.rate) == (4, 5, pytest.approx(0.8))
    assert (s.win.low, s.win.high) == pytest.approx(wilson_interval(4, 5))
    assert s.confidence.n == 5 and s.confidence.mean == pytest.approx(3.6)
    assert (s.confidence.mean, s.confidence.low, s.confidence.high) == pytest.approx(
        mean_t_interval([4, 5, 4, 2, 3])
    )
    assert (s.slot_a.k, s.slot_a.rate, s.slot_a.p_value) == (
        3,
        pytest.approx(0.6),
        pytest.approx(1.0),
    )
    assert s.win_rate_higher_in_a == 1.0 and s.win_rate_higher_in_b == pytest.approx(2 / 3)
    assert s.order_effect == pytest.approx(1 / 3)
    assert (s.complete_iterations, s.consistent_iterations) == (2, 1)
    assert s.position_consistency == pytest.approx(0.5)
    assert s.modal_agreement == pytest.approx(0.8)


def test_single_judgement_pair(result: BoundaryResult) -> None:
    s = result.pairs[1].stats
    assert s.comparisons == 1 and s.win.rate == 1.0 and s.win.high == pytest.approx(1.0)
    assert (s.confidence.mean, s.confidence.low, s.confidence.high) == (3.0, 3.0, 3.0)
    assert s.slot_a.p_value == pytest.approx(1.0)
    assert s.order_effect is None and s.win_rate_higher_in_b is None
    assert s.position_consistency is None and s.complete_iterations == 0
    assert s.modal_agreement == 1.0


def test_pair_without_successes(result: BoundaryResult) -> None:
    s = result.pairs[2].stats
    assert (s.comparisons, s.failures) == (0, 1)
    assert s.win.rate is None and s.win.low is None and s.slot_a.p_value is None
    assert s.confidence.mean is None and s.modal_agreement is None


def test_pooled(result: BoundaryResult) -> None:
    p = result.pooled
    assert (p.comparisons, p.failures) == (6, 2)
    assert p.win.rate == pytest.approx(5 / 6)
    assert p.slot_a.k == 4 and p.slot_a.p_value == pytest.approx(44 / 64)
    assert p.order_effect == pytest.approx(1 - 2 / 3)
    assert p.position_consistency == pytest.approx(0.5)
    assert p.modal_agreement == pytest.approx(5 / 6)
    assert p.confidence.mean == pytest.approx(3.5)
    assert len(result.failures) == 2 and result.failures[1].reason == "provider 500"
    assert {c.name: c.passed for c in result.targets} == {
        "pooled_win_rate": True,
        "pooled_bias_p": True,
    }
    assert result.targets_met


def test_equal_confidences_and_all_lost() -> None:
    rec = Recorder()
    rec.won(H1, L1, "B", confidence=3, iteration=0)
    rec.won(L1, H1, "A", confidence=3, iteration=0)
    result = build_boundary(rec.records, [(H1, L1)], targets=ReportTargets())
    s = result.pooled
    assert s.win.rate == 0.0 and s.win.low == pytest.approx(0.0)
    assert (s.confidence.mean, s.confidence.low, s.confidence.high) == (3.0, 3.0, 3.0)
    assert s.position_consistency == 1.0 and s.order_effect == 0.0
    assert not result.targets_met


def test_no_records_at_all() -> None:
    result = build_boundary([], PAIRS, targets=ReportTargets())
    assert result.pooled.win.rate is None and not result.targets_met
    text = render_boundary_markdown(
        result,
        ReportContext.from_settings(
            settings(RunnerMode.BOUNDARY_TEST), run_signature="sig", git_sha=None
        ),
    )
    assert not re.search(r"\b(nan|inf)\b", text, re.IGNORECASE)


def test_foreign_records_warn() -> None:
    rec = records()
    rec.won(H1, H2, "A")
    result = build_boundary(rec.records, PAIRS, targets=ReportTargets())
    assert result.pooled.comparisons == 6
    assert any("match no boundary pair" in w for w in result.warnings)


def test_markdown_and_terminal(result: BoundaryResult) -> None:
    ctx = ReportContext.from_settings(
        settings(RunnerMode.BOUNDARY_TEST),
        run_signature="sig",
        git_sha="0123abc",
        records=records().records,
    )
    text = render_boundary_markdown(result, ctx, plots=["boundary_win_rates.png"])
    assert text.startswith("# Boundary test report: unit-batch\n")
    for heading in (
        "## Summary",
        "## Per pair",
        "## Failed judgements",
        "## Plots",
        "## Prompts used",
        "## Provenance",
    ):
        assert f"\n{heading}\n" in text, heading
    assert "Simulated judge — not an LLM" in text
    assert "| H1 > L1 | B / C+ | 5 | 80% [38%, 96%] |" in text
    assert "**Position consistency**" in text and "**Modal agreement**" in text
    assert "| 50% (1/2) |" in text and "`0123abc`" in text
    assert not re.search(r"\b(nan|inf)\b", text, re.IGNORECASE)
    console = Console(record=True, width=120)
    print_boundary_summary(result, console)
    out = console.export_text()
    assert "H1 > L1" in out and "pooled" in out and "pass" in out
