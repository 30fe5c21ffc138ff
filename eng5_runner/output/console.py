"""Shared rich consoles (results to stdout, errors to stderr) and safe one-liners.

Dynamic text (messages, paths, labels) is escaped before it meets rich markup,
so a value like ``A:B:C`` or ``[x]`` prints as written.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape

console = Console(highlight=False, emoji=False)
err_console = Console(stderr=True, highlight=False, emoji=False)


def print_error(message: str, *, label: str = "error") -> None:
    """``error: <message>`` on stderr, one line, secrets redacted."""
    from eng5_runner.output.redact import redact

    err_console.print(f"[bold red]{label}:[/] {escape(redact(message))}", soft_wrap=True)


def print_warning(message: str) -> None:
    """``warning: <message>`` on stdout, secrets redacted."""
    from eng5_runner.output.redact import redact

    console.print(f"[yellow]warning:[/] {escape(redact(message))}", soft_wrap=True)


def print_path(label: str, path: Path | str, *, style: str = "bold") -> None:
    """``<label>: <path>`` with the path emphasised."""
    console.print(f"{escape(label)}: [{style}]{escape(str(path))}[/]", soft_wrap=True)
