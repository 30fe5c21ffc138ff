"""List the essay files of a directory, and every entry skipped with the reason why."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

#: Suffixes people have that the runner cannot read, with the fix.
CONVERT_HINTS = {
    ".doc": "Word 97-2003 .doc is not read: save it as .docx (File > Save As > Word Document)",
    ".wpd": "save it as .docx or PDF",
    ".pages": "export it as .docx or PDF (File > Export To)",
    ".xps": "save it as PDF",
    ".html": "save the text as .txt or .docx",
    ".htm": "save the text as .txt or .docx",
}
_SHEET_HINT = "not an essay; if it holds the grades, set dataset.grades_file=<this file>"
CONVERT_HINTS.update(dict.fromkeys((".csv", ".tsv", ".xlsx", ".xls", ".ods"), _SHEET_HINT))


class SkippedFile(BaseModel):
    """A directory entry that is not read as an essay."""

    model_config = ConfigDict(frozen=True)

    path: Path
    reason: str
    quiet: bool = False
    """Skipped by convention (hidden files, Word lock files, README.md): no warning."""


def scan_essay_dir(
    directory: Path, supported: Sequence[str], others: dict[Path, str] | None = None
) -> tuple[list[Path], list[SkippedFile]]:
    """Readable essay files in ``directory`` (sorted by name) and the skipped entries.

    ``others`` maps input files that may sit among the essays (the grades file, the
    writing task) to what they are; they are skipped quietly.
    """
    files: list[Path] = []
    skipped: list[SkippedFile] = []
    known = {_same_file_key(p): what for p, what in (others or {}).items()}
    for path in sorted(directory.iterdir(), key=lambda p: p.name):
        what = known.get(_same_file_key(path))
        reason = (what, True) if what is not None else _skip_reason(path, supported)
        if reason is None:
            files.append(path)
        else:
            text, quiet = reason
            skipped.append(SkippedFile(path=path, reason=text, quiet=quiet))
    return files, skipped


def skipped_warning(skipped: Sequence[SkippedFile]) -> str | None:
    """One warning line listing the skipped entries that were not skipped by convention."""
    loud = [s for s in skipped if not s.quiet]
    if not loud:
        return None
    items = "; ".join(f"{s.path.name} ({s.reason})" for s in loud)
    return f"{len(loud)} file(s) skipped in {loud[0].path.parent}: {items}"


def _same_file_key(path: Path) -> str:
    try:
        return str(path.resolve())
    except (OSError, RuntimeError):  # a symlink loop: compared by its own path
        return str(path.absolute())


def _skip_reason(path: Path, supported: Sequence[str]) -> tuple[str, bool] | None:
    name = path.name
    if name.startswith("."):
        return "hidden file", True
    if name.lower() == "readme.md":
        return "README.md", True
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop", False
        if path.is_symlink():
            return "broken symbolic link", False
        return f"cannot be read ({exc.strerror})", False
    if stat.S_ISDIR(mode):
        return "a directory (sub-directories are not searched)", False
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO), not a regular file", False
    if not stat.S_ISREG(mode):
        return "not a regular file (socket or device)", False
    if name.startswith("~$"):
        return "Word lock file", True
    suffix = path.suffix.lower()
    if suffix in supported:
        return None
    if suffix in CONVERT_HINTS:
        return CONVERT_HINTS[suffix], False
    shown = suffix or "no extension"
    return f"unsupported type '{shown}': use one of {' '.join(supported)}", False
