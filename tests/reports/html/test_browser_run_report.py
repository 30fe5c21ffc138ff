"""report.html in a real headless Chromium: numbers, drill-down, sorting, no errors, no network."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eng5_runner.reports import markdown as md
from tests.reports.html.conftest import (
    LOCAL_SCHEMES,
    console_errors,
    open_page,
    requested_urls,
    save_artefact,
)
from tests.reports.html.runs import (
    XSS,
    anchors,
    round_robin,
    write_alignment_run,
    write_boundary_run,
)

FLIPS = [(3, 5), (7, 8), (7, 9)]


@pytest.fixture(scope="module")
def alignment_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    essays = anchors(12, words=60)
    records = round_robin(essays, flips=FLIPS, repeats=2, failures=3)
    # the first flipped pair's justifications try to run script
    records = [
        r.model_copy(update={"justification": XSS + " " + (r.justification or "")})
        if {r.essay_a_id, r.essay_b_id} == {essays[7].essay_id, essays[8].essay_id}
        else r
        for r in records
    ]
    run_dir = tmp_path_factory.mktemp("align") / "run"
    summary = write_alignment_run(run_dir, essays, records)
    return run_dir, summary


def _tiles(driver: Any) -> dict[str, Any]:
    return {
        t.get_attribute("data-metric"): t for t in driver.find_elements("css selector", ".tile")
    }


def test_numbers_shown_equal_summary_json(browser: Any, alignment_run: Any) -> None:
    run_dir, _ = alignment_run
    summary = json.loads((run_dir / "summary.json").read_text())
    open_page(browser, (run_dir / "report.html").as_uri())
    tiles = _tiles(browser)
    metrics = summary["metrics"]
    expected_text = {
        "tau_b": md.fmt_num(metrics["tau_b"]),
        "somers_d": md.fmt_num(metrics["somers_d"]),
        "tau_upstream": md.fmt_num(metrics["tau_upstream"]),
        "slot_a_rate": md.fmt_pct(metrics["slot_a_rate"], 1),
        "direct_inversions": str(metrics["direct_inversions"]),
        "zero_win_excl_bottom": str(metrics["zero_win_excl_bottom"]),
        "ab_regression": str(metrics["ab_regression"]),
    }
    for name, text in expected_text.items():
        tile = tiles[name]
        assert float(tile.get_attribute("data-value")) == pytest.approx(metrics[name], abs=1e-12)
        assert tile.find_element("css selector", ".value").text == text, name
    assert metrics["direct_inversions"] == len(FLIPS)
    shown = browser.find_elements("css selector", "#inversions > li")
    assert len(shown) == metrics["direct_inversions"]
    for name, passed in summary["targets"].items():
        pill = tiles[name].find_element("css selector", ".target .pill").text
        assert pill == ("pass" if passed else "fail")
    assert "3 of" in browser.find_element("id", "failure-banner").text
    assert "HTTP 429: rate limited" in browser.find_element("id", "failure-banner").text
    assert console_errors(browser) == []


def test_drill_down_opens_for_an_inversion(
    browser: Any, alignment_run: Any, tmp_path: Path
) -> None:
    run_dir, _ = alignment_run
    open_page(browser, (run_dir / "report.html").as_uri())
    records = [
        json.loads(line) for line in (run_dir / "comparisons.jsonl").read_text().splitlines()
    ]
    first = browser.find_element("css selector", "#inversions > li")
    key = first.get_attribute("data-pair")
    first.find_element("css selector", "button.inspect").click()
    dialog = browser.find_element("id", "drill")
    assert dialog.get_attribute("open") is not None
    pair = [r for r in records if "|".join(sorted((r["essay_a_id"], r["essay_b_id"]))) == key]
    rows = dialog.find_elements("css selector", "tbody tr")
    assert len(rows) == len(pair) >= 2
    shown = {row.get_attribute("data-comparison") for row in rows}
    assert shown == {r["comparison_id"] for r in pair}
    essays = dialog.find_elements("css selector", ".essay pre")
    assert len(essays) == 2 and all(len(e.text) > 100 for e in essays)
    header = dialog.find_element("tag name", "h2").text
    assert " vs " in header
    for r in pair:
        assert (r["justification"] or "")[-40:] in dialog.text
    save_artefact(browser, "drill_down.png", tmp_path)
    dialog.find_element("css selector", "button.close").click()
    assert dialog.get_attribute("open") is None
    assert console_errors(browser) == []


def test_every_drill_down_and_heatmap_cell_opens(browser: Any, alignment_run: Any) -> None:
    run_dir, _ = alignment_run
    open_page(browser, (run_dir / "report.html").as_uri())
    cells = browser.find_elements("css selector", "#win-matrix rect.cell.inv")
    assert len(cells) == len(FLIPS)
    browser.execute_script(
        "arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", cells[0]
    )
    dialog = browser.find_element("id", "drill")
    assert dialog.get_attribute("open") is not None
    assert "inversion" in dialog.find_element("css selector", ".dlg-info").text


def test_anchor_table_sorts(browser: Any, alignment_run: Any) -> None:
    run_dir, _ = alignment_run
    open_page(browser, (run_dir / "report.html").as_uri())
    table = browser.find_element("id", "anchor-table")
    header = table.find_element("xpath", ".//th[normalize-space()='θ']")

    def thetas() -> list[float]:
        cells = table.find_elements("css selector", "tbody tr td:nth-child(3)")
        return [float(c.get_attribute("data-sort")) for c in cells]

    before = thetas()
    header.click()
    assert thetas() == sorted(before)
    assert header.get_attribute("aria-sort") == "ascending"
    header.click()
    assert thetas() == sorted(before, reverse=True)
    label = table.find_element("xpath", ".//th[normalize-space()='Anchor']")
    label.click()
    names = [c.text for c in table.find_elements("css selector", "tbody tr td:first-child")]
    assert names == sorted(names)
    assert console_errors(browser) == []


def test_nothing_is_fetched_from_the_network(browser: Any, alignment_run: Any) -> None:
    run_dir, _ = alignment_run
    open_page(browser, (run_dir / "report.html").as_uri())
    browser.find_element("css selector", "#inversions button.inspect").click()
    browser.find_element("css selector", "#drill button.close").click()
    urls = requested_urls(browser)
    assert urls, "the performance log recorded no request at all"
    assert all(url.startswith(LOCAL_SCHEMES) for url in urls), urls
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert all(url.startswith(LOCAL_SCHEMES) for url in resources), resources


def test_script_in_a_justification_renders_as_text(browser: Any, alignment_run: Any) -> None:
    run_dir, _ = alignment_run
    open_page(browser, (run_dir / "report.html").as_uri())
    items = browser.find_elements("css selector", "#inversions > li")
    target = next(li for li in items if "<script>" in li.text)
    assert "window.__pwned = 1" in target.find_element("css selector", ".why").text
    target.find_element("css selector", "button.inspect").click()
    assert "<script>window.__pwned = 1</script>" in browser.find_element("id", "drill").text
    assert browser.execute_script("return window.__pwned === undefined")
    assert browser.find_elements("css selector", "#drill img") == []
    assert console_errors(browser) == []


def test_screenshot_of_the_whole_report(browser: Any, alignment_run: Any, tmp_path: Path) -> None:
    run_dir, _ = alignment_run
    open_page(browser, (run_dir / "report.html").as_uri())
    shot = save_artefact(browser, "report.png", tmp_path)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_boundary_report_in_the_browser(browser: Any, tmp_path: Path) -> None:
    run_dir = tmp_path / "boundary"
    summary = write_boundary_run(run_dir, justification=XSS)
    open_page(browser, (run_dir / "report.html").as_uri())
    tiles = _tiles(browser)
    rate = summary["metrics"]["pooled_win_rate"]
    assert float(tiles["pooled_win_rate"].get_attribute("data-value")) == pytest.approx(rate)
    assert tiles["pooled_win_rate"].find_element("css selector", ".value").text == md.fmt_pct(
        rate, 1
    )
    for chart in ("win-chart", "slot-chart", "order-effect"):
        assert browser.find_element("id", chart).is_displayed()
    rows = browser.find_elements("css selector", "#justifications tbody tr")
    assert len(rows) == summary["comparisons"]
    assert (
        "<script>window.__pwned = 1</script>" in browser.find_element("id", "justifications").text
    )
    browser.find_element("css selector", "#pair-table button.inspect").click()
    assert browser.find_element("id", "drill").get_attribute("open") is not None
    assert browser.execute_script("return window.__pwned === undefined")
    assert all(url.startswith(LOCAL_SCHEMES) for url in requested_urls(browser))
    assert console_errors(browser) == []
    save_artefact(browser, "boundary.png", tmp_path)


def test_bt_scale_is_interactive(browser: Any, alignment_run: Any) -> None:
    run_dir, _ = alignment_run
    open_page(browser, (run_dir / "report.html").as_uri())
    rows = browser.find_elements("css selector", "#bt-scale .bt-row")
    inverted = [r for r in rows if "inverted" in r.get_attribute("class")]
    assert len(inverted) == len({i for pair in FLIPS for i in pair})
    assert all(
        "θ =" in r.find_element("tag name", "title").get_attribute("textContent") for r in rows
    )
    essay = inverted[0].get_attribute("data-essay")
    click = "arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))"
    browser.execute_script(click, inverted[0])
    selected = browser.find_elements("css selector", "#anchor-table tr.selected")
    assert [r.get_attribute("data-essay") for r in selected] == [essay]
    lit = browser.find_elements("css selector", "#bt-scale .inv-link.hl")
    assert lit and all(essay in link.get_attribute("data-pair") for link in lit)
    legend = browser.find_element("css selector", ".legend button[data-grade='A']")
    legend.click()
    dimmed = [r for r in rows if "dim" in r.get_attribute("class")]
    assert dimmed and all(r.get_attribute("data-grade") != "A" for r in dimmed)
    assert console_errors(browser) == []
