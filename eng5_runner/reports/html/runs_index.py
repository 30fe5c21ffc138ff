"""Find the runs and sweeps below a folder, and serve them with an index on 127.0.0.1."""

from __future__ import annotations

import functools
import http.server
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eng5_runner import __version__
from eng5_runner.reports import markdown as md
from eng5_runner.reports.html import RUN_HTML, SWEEP_HTML, load_json, write_run_html_from_dir

INDEX_PATHS = ("/", "/index.html")
#: Folders never searched for runs (Hydra's own, caches, virtualenvs).
SKIP_DIRS = {
    ".hydra",
    "plots",
    "requests",
    "events",
    "__pycache__",
    ".git",
    ".venv",
    "node_modules",
}


@dataclass(frozen=True)
class RunEntry:
    path: str
    """Relative to the served folder, with forward slashes."""
    kind: str
    """run or sweep."""
    mode: str
    variant: str
    date: str
    headline: str
    headline_value: float | None
    status: str
    link: str | None


def _headline(summary: dict[str, Any]) -> tuple[str, float | None]:
    metrics = summary.get("metrics") or {}
    for name, label, pct in (
        ("tau_b", "τ-b", False),
        ("pooled_win_rate", "higher wins", True),
        ("students", "students", False),
    ):
        value = metrics.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            ci = metrics.get(f"{name}_ci95")
            shown = (
                md.fmt_pct(value, 1) if pct else md.fmt_num(value, 0 if name == "students" else 3)
            )
            if (
                isinstance(ci, list)
                and len(ci) == 2
                and all(isinstance(c, int | float) for c in ci)
            ):
                shown += " " + md.fmt_interval(ci[0], ci[1], pct=pct, digits=1 if pct else 3)
            return f"{label} {shown}", float(value)
    return "—", None


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() or "."


def find_runs(root: Path) -> list[RunEntry]:
    """Every run dir (with a summary.json or error.json) and sweep dir below ``root``."""
    entries: list[RunEntry] = []
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            children = sorted(folder.iterdir())
        except OSError:
            continue
        names = {child.name for child in children}
        if "sweep_summary.json" in names:
            data = load_json(folder / "sweep_summary.json") or {}
            rows = data.get("rows") or []
            failed = sum(1 for r in rows if r.get("status") != "success")
            entries.append(
                RunEntry(
                    path=_rel(folder, root),
                    kind="sweep",
                    mode="sweep",
                    variant=f"{len(rows)} jobs, sorted by {data.get('sort_by', '—')}",
                    date="",
                    headline=f"{len(rows) - failed} of {len(rows)} jobs succeeded",
                    headline_value=None,
                    status="complete" if not failed else "partial",
                    link=_rel(folder / SWEEP_HTML, root) if SWEEP_HTML in names else None,
                )
            )
        if "summary.json" in names or "error.json" in names:
            summary = load_json(folder / "summary.json") or {}
            error = load_json(folder / "error.json")
            status = str(summary.get("status") or ("error" if error else "unknown"))
            if error and error.get("error_type") == "GateFailed":
                status += " (gate failed)"
            headline, value = _headline(summary)
            overrides = " ".join(summary.get("overrides") or [])
            variant = " · ".join(
                x
                for x in (
                    summary.get("experiment_name") or summary.get("batch_label"),
                    summary.get("system_prompt") and f"prompt {summary['system_prompt']}",
                    overrides,
                )
                if x
            )
            link = None
            if RUN_HTML in names or "artefact.json" in names:
                link = _rel(folder / RUN_HTML, root)
            elif "report.md" in names:
                link = _rel(folder / "report.md", root)
            entries.append(
                RunEntry(
                    path=_rel(folder, root),
                    kind="run",
                    mode=str(summary.get("mode") or (error or {}).get("mode") or "—"),
                    variant=variant or folder.name,
                    date=str(summary.get("generated_at") or ""),
                    headline=headline if not error or summary else str(error.get("message", "")),
                    headline_value=value,
                    status=status,
                    link=link,
                )
            )
        stack.extend(
            child
            for child in reversed(children)
            if child.is_dir() and child.name not in SKIP_DIRS and not child.name.startswith(".")
        )
    return sorted(entries, key=lambda e: (e.date, e.path), reverse=True)


def render_index(root: Path) -> str:
    """The index page of every run and sweep below ``root``."""
    from eng5_runner.reports.html.render import render

    return render(
        "index.html.j2", root=str(root), entries=find_runs(root), runner_version=__version__
    )


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files from the served folder; ``/`` is the index; a missing report is built."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        path = urllib.parse.urlsplit(self.path).path
        root = Path(self.directory)
        if path in INDEX_PATHS:
            body = render_index(root).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if path.endswith("/" + RUN_HTML):
            target = Path(self.translate_path(path))
            if not target.is_file() and (target.parent / "artefact.json").is_file():
                write_run_html_from_dir(target.parent)
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (base signature)
        return


def make_server(root: Path, port: int = 0) -> http.server.ThreadingHTTPServer:
    """A server for ``root`` on 127.0.0.1 (``port`` 0: an ephemeral one); not yet started."""
    handler = functools.partial(_Handler, directory=str(root))
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
