"""``eng5-runner-view PATH``: open a run's or a sweep's HTML report, or serve a folder of runs.

- PATH is a run dir (or its report.html): opens report.html, building it from the
  run's files when it is missing.
- PATH is a sweep dir: opens sweep_summary.html (rebuilt from the job dirs if missing).
- Any other folder, or ``--serve``: serves it on 127.0.0.1 with an index of every
  run and sweep found below it (mode, variant, date, headline metric, status).

The path is always printed; a browser is opened only where a display exists
(and not with ``--no-browser``). Exit codes: 0 ok, 2 nothing to show at PATH.
"""

from __future__ import annotations

import argparse
import os
import sys
import webbrowser
from pathlib import Path


def has_display() -> bool:
    """True where a browser window can appear (macOS, Windows, or X11/Wayland)."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _fail(message: str) -> int:
    from eng5_runner.output.console import print_error

    print_error(message)
    return 2


def _show(page: Path, label: str, browser: bool) -> int:
    from eng5_runner.output.console import print_path

    print_path(label, page)
    if browser and has_display():
        webbrowser.open(page.resolve().as_uri())
    return 0


def _sweep_page(folder: Path) -> Path | None:
    """sweep_summary.html of ``folder``, rebuilt from its job dirs when missing."""
    from eng5_runner.reports.html import SWEEP_HTML, write_sweep_html

    page = folder / SWEEP_HTML
    if page.is_file():
        return page
    from eng5_runner.reports.sweep import collect_sweep

    summary = collect_sweep(folder)
    return write_sweep_html(summary) if summary.rows else None


def resolve_page(path: Path) -> Path | None:
    """The page to open for a run dir, a sweep dir or an HTML file; None: serve instead."""
    from eng5_runner.reports.html import RUN_HTML, write_run_html_from_dir

    if path.is_file():
        return path if path.suffix == ".html" else None
    if (path / "artefact.json").is_file() or (path / RUN_HTML).is_file():
        page = path / RUN_HTML
        return page if page.is_file() else write_run_html_from_dir(path)
    if (path / "sweep_summary.json").is_file() or (path / "multirun.yaml").is_file():
        return _sweep_page(path)
    return None


def serve(root: Path, port: int, browser: bool) -> int:
    """Serve ``root`` until interrupted."""
    from eng5_runner.output.console import console
    from eng5_runner.reports.html.runs_index import find_runs, make_server

    try:
        server = make_server(root, port)
    except OSError as exc:
        return _fail(f"--port {port}: cannot listen on 127.0.0.1 ({exc.strerror or exc})")
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    console.print(
        f"Serving {len(find_runs(root))} run(s) from {root} at [bold]{url}[/] (Ctrl-C stops)"
    )
    if browser and has_display():
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and open or serve."""
    parser = argparse.ArgumentParser(
        prog="eng5-runner-view", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("path", type=Path, nargs="?", default=Path("outputs"))
    parser.add_argument("--serve", action="store_true", help="serve PATH with an index of runs")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free one)")
    parser.add_argument("--no-browser", action="store_true", help="only print the path or URL")
    args = parser.parse_args(argv)
    path: Path = args.path
    browser = not args.no_browser
    if not path.exists():
        sys.exit(
            _fail(f"{path}: no such file or directory; give a run dir, a sweep dir or a folder")
        )
    if not args.serve:
        page = resolve_page(path)
        if page is not None:
            label = "Sweep report" if page.name.startswith("sweep") else "Report"
            sys.exit(_show(page, label, browser))
        if path.is_file():
            sys.exit(_fail(f"{path}: not an HTML report; give its run directory instead"))
        if (path / "summary.json").is_file() or (path / "plan.json").is_file():
            sys.exit(
                _fail(
                    f"{path}: this run has no artefact (a plan run, or one that failed before "
                    "its outputs), so no HTML report; see its plan.json, error.json or summary.json"
                )
            )
    sys.exit(serve(path.resolve(), args.port, browser))


if __name__ == "__main__":
    main()
