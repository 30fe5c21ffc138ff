"""sweep_summary.html and the served index of runs, in a real headless Chromium."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.support.ui import Select

from eng5_runner.reports.html.runs_index import make_server
from eng5_runner.reports.sweep import collect_sweep, write_sweep_summary
from tests.reports.html.conftest import (
    LOCAL_SCHEMES,
    console_errors,
    open_page,
    requested_urls,
    save_artefact,
)
from tests.reports.html.runs import XSS, anchors, round_robin, write_alignment_run


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("outputs")
    sweep = root / "sweeps" / "prompt_sweep"
    essays = anchors(8, words=50)
    write_alignment_run(
        sweep / "0",
        essays,
        round_robin(essays, flips=[(2, 4)]),
        prompt="Judge the essays.\nBe fair.",
        overrides=["system_prompt=001_baseline", "experiment=quickstart"],
    )
    write_alignment_run(
        sweep / "1",
        essays,
        round_robin(essays, flips=[(5, 6)], justification=XSS + " {w} over {l}"),
        prompt="Judge the language.\nBe fair.",
        overrides=["system_prompt=002_language_first", "experiment=quickstart"],
        summary_extra={
            "baseline": {
                "delta_tau_b": -0.02,
                "delta_tau_b_ci95": [-0.1, 0.05],
                "verdict": "indistinguishable",
            }
        },
    )
    (sweep / "2").mkdir()
    (sweep / "2" / "manifest.json").write_text(
        json.dumps({"overrides": ["system_prompt=003_holistic_examiner", "experiment=quickstart"]})
    )
    (sweep / "2" / "error.json").write_text(
        json.dumps({"error_type": "ProviderError", "message": "HTTP 401 from the provider"})
    )
    write_sweep_summary(collect_sweep(sweep))
    return sweep


def test_sweep_page_filters_sorts_links_and_compares(
    browser: Any, sweep_dir: Path, tmp_path: Path
) -> None:
    assert (sweep_dir / "sweep_summary.html").is_file()
    open_page(browser, (sweep_dir / "sweep_summary.html").as_uri())
    rows = browser.find_elements("css selector", "#leaderboard-table tbody tr")
    assert [r.get_attribute("data-job") for r in rows][-1] == "2"  # the failed job sorts last
    data = json.loads((sweep_dir / "sweep_summary.json").read_text())
    by_job = {r["job"]: r for r in data["rows"]}
    for row in rows:
        job = row.get_attribute("data-job")
        tau = by_job[job]["metrics"].get("tau_b")
        cell = row.find_element("css selector", "td[data-metric='tau_b']")
        assert cell.text == ("—" if tau is None else f"{tau:.3f}")
    pick = browser.find_element("id", "pick").text
    assert pick.startswith("Best by tau_b: system_prompt=")
    assert "indistinguishable" in rows[[r.get_attribute("data-job") for r in rows].index("1")].text
    # links into each job's report
    links = browser.find_elements("css selector", "#leaderboard-table a")
    assert {a.get_attribute("href").split("/")[-2] for a in links} == {"0", "1"}
    assert all(Path(a.get_attribute("href").removeprefix("file://")).is_file() for a in links)
    # filters
    browser.find_element("id", "filter-text").send_keys("language")
    visible = [r for r in rows if r.is_displayed()]
    assert [r.get_attribute("data-job") for r in visible] == ["1"]
    browser.find_element("id", "filter-text").clear()
    browser.execute_script(
        "document.getElementById('filter-text').dispatchEvent(new Event('input'))"
    )
    Select(browser.find_element("id", "filter-status")).select_by_value("error")
    assert [r.get_attribute("data-job") for r in rows if r.is_displayed()] == ["2"]
    Select(browser.find_element("id", "filter-status")).select_by_value("")
    # sorting by a column
    header = browser.find_element(
        "xpath", "//table[@id='leaderboard-table']//th[normalize-space()='#']"
    )
    header.click()
    header.click()
    ranks = [
        r.find_element("css selector", "td").text
        for r in browser.find_elements("css selector", "#leaderboard-table tbody tr")
    ]
    assert ranks == ["3", "2", "1"]
    # compare two variants: job 0 (reference) against job 1
    Select(browser.find_element("id", "compare-a")).select_by_visible_text(
        next(
            o.text
            for o in Select(browser.find_element("id", "compare-a")).options
            if o.text.startswith("0:")
        )
    )
    Select(browser.find_element("id", "compare-b")).select_by_visible_text(
        next(
            o.text
            for o in Select(browser.find_element("id", "compare-b")).options
            if o.text.startswith("1:")
        )
    )
    flips = browser.find_elements("css selector", "#compare-flips .flip-item")
    assert len(flips) == 2  # (2, 4) right again in B, (5, 6) wrong in B
    assert "<script>window.__pwned = 1</script>" in browser.find_element("id", "compare-flips").text
    assert browser.execute_script("return window.__pwned === undefined")
    diff = browser.find_element(
        "css selector", "#compare-prompts pre.diff[data-diff='system_prompt']"
    ).text
    assert "-Judge the essays." in diff and "+Judge the language." in diff
    deltas = browser.find_element(
        "css selector", "#compare-metrics tr[data-metric='direct_inversions']"
    ).text
    assert deltas.split()[-1] == "+0.000" or deltas.split()[-1] == "+0"
    assert all(url.startswith(LOCAL_SCHEMES) for url in requested_urls(browser))
    assert console_errors(browser) == []
    save_artefact(browser, "sweep.png", tmp_path)


@pytest.fixture
def server(sweep_dir: Path) -> Iterator[str]:
    root = sweep_dir.parent.parent
    httpd = make_server(root, 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_served_index_lists_every_run(
    browser: Any, server: str, sweep_dir: Path, tmp_path: Path
) -> None:
    (sweep_dir / "0" / "report.html").unlink()  # served pages are rebuilt when missing
    open_page(browser, server)
    rows = browser.find_elements("css selector", "#runs-table tbody tr")
    texts = [r.text for r in rows]
    assert len(rows) == 4  # the sweep and its three jobs
    assert any("sweep" in t and "2 of 3 jobs succeeded" in t for t in texts)
    assert any("error" in t and "anchor-align-test" not in t for t in texts)
    assert sum("τ-b" in t for t in texts) == 2
    link = next(
        a
        for a in browser.find_elements("css selector", "#runs-table a")
        if a.get_attribute("href").endswith("/0/report.html")
    )
    link.click()
    assert browser.find_element("id", "headline").text.startswith("τ-b =")
    assert (sweep_dir / "0" / "report.html").is_file()
    urls = requested_urls(browser)
    assert all(u.startswith((server, *LOCAL_SCHEMES)) for u in urls), urls
    assert console_errors(browser) == []
    save_artefact(browser, "index_run.png", tmp_path)
