"""eng5-runner-view: opens run and sweep reports, serves a folder, clear errors."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx
import pytest

from eng5_runner.reports import view_cli
from eng5_runner.reports.html.runs_index import find_runs, make_server
from tests.reports.html.runs import anchors, round_robin, write_alignment_run


@pytest.fixture
def outputs(tmp_path: Path) -> Path:
    essays = anchors(5)
    write_alignment_run(tmp_path / "runs" / "a", essays, round_robin(essays, flips=[(0, 1)]))
    write_alignment_run(tmp_path / "runs" / "b", essays, round_robin(essays), status="partial")
    (tmp_path / "runs" / "plan").mkdir()
    (tmp_path / "runs" / "plan" / "summary.json").write_text(
        json.dumps({"mode": "plan", "status": "stub", "metrics": {}})
    )
    return tmp_path


def _run(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as exit_info:
        view_cli.main(argv)
    return int(exit_info.value.code or 0)


def test_opens_a_run_report_and_rebuilds_a_missing_one(
    outputs: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    monkeypatch.setattr(view_cli.webbrowser, "open", opened.append)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    run = outputs / "runs" / "a"
    (run / "report.html").unlink()
    assert _run([str(run)]) == 0
    assert (run / "report.html").is_file()
    assert "report.html" in capsys.readouterr().out
    assert opened == []  # no display: only the path is printed
    monkeypatch.setenv("DISPLAY", ":0")
    assert _run([str(run / "report.html")]) == 0
    assert opened == [(run / "report.html").resolve().as_uri()]
    assert _run([str(run), "--no-browser"]) == 0 and len(opened) == 1


def test_errors_are_one_line_with_exit_2(outputs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run([str(outputs / "missing")]) == 2
    assert "no such file or directory" in capsys.readouterr().err
    assert _run([str(outputs / "runs" / "plan")]) == 2
    err = capsys.readouterr().err
    assert "no artefact" in err and "Traceback" not in err
    assert _run([str(outputs / "runs" / "a" / "summary.json")]) == 2


def test_opens_a_sweep_page_built_from_its_jobs(
    outputs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sweep = outputs / "runs"
    (sweep / "multirun.yaml").write_text("hydra: {}\n")
    assert _run([str(sweep), "--no-browser"]) == 0
    assert (sweep / "sweep_summary.html").is_file()
    assert "sweep_summary.html" in capsys.readouterr().out


def test_index_finds_runs_with_mode_status_and_headline(outputs: Path) -> None:
    entries = {e.path: e for e in find_runs(outputs)}
    assert set(entries) == {"runs/a", "runs/b", "runs/plan"}
    assert entries["runs/a"].status == "complete" and entries["runs/a"].headline.startswith("τ-b ")
    assert entries["runs/b"].status == "partial"
    assert (
        entries["runs/a"].mode == "anchor-align-test"
        and entries["runs/a"].link == "runs/a/report.html"
    )
    assert entries["runs/plan"].link is None


def test_serves_the_folder_on_loopback(outputs: Path) -> None:
    server = make_server(outputs, 0)
    assert server.server_address[0] == "127.0.0.1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        index = httpx.get(base + "/")
        assert index.status_code == 200 and "runs/a/report.html" in index.text
        assert index.text.count("<tr data-text") == 3
        (outputs / "runs" / "b" / "report.html").unlink()
        page = httpx.get(base + "/runs/b/report.html")
        assert page.status_code == 200 and "Partial data" in page.text
        assert httpx.get(base + "/../../etc/passwd").status_code == 404
    finally:
        server.shutdown()
        server.server_close()
