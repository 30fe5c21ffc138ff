"""Atomic file writes: a reader sees the old file or the new one, never half."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def _umask_mode() -> int:
    """The mode a plain ``open()`` would give a new file (0666 minus the umask)."""
    current = os.umask(0)
    os.umask(current)
    return 0o666 & ~current


_FILE_MODE = _umask_mode()


def write_bytes_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temp file in the same dir, fsync, then rename."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        if exc.errno is not None:
            exc.filename = exc.filename or str(path)
        raise
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno is not None and not exc.filename:
            exc.filename = str(path)  # name the file in the one-line error
        raise
    return path


def write_text_atomic(path: Path, text: str) -> Path:
    """UTF-8 text counterpart of :func:`write_bytes_atomic`."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: Path, data: Any) -> Path:
    """Write ``data`` as indented, key-sorted UTF-8 JSON, atomically."""
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    return write_text_atomic(path, text + "\n")
