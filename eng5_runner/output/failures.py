"""Turn low-level failures (disk full, read-only dir, broken store file) into one clear line.

:func:`as_runner_error` is the last stop before a traceback: it unwraps
exception groups and maps ``OSError`` and ``sqlite3.Error`` to
:class:`~eng5_runner.errors.OutputError` (exit 5) naming the file and the fix.
Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
import sqlite3

from eng5_runner.errors import OutputError, RunnerError, unwrap_group

_WHERE_HINT = (
    "free some disk space or write elsewhere (hydra.run.dir=<dir>, cache.path=<file>), "
    "then run the same command again: judgements already stored are kept"
)


def os_error(exc: OSError) -> OutputError:
    """One line for a failed read or write, by errno."""
    name = exc.filename or "a file"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return OutputError(f"no space left on the device writing {name}", hint=_WHERE_HINT)
    if exc.errno == errno.EROFS:
        return OutputError(
            f"cannot write {name}: the file system is read-only",
            hint="choose a writable output dir with hydra.run.dir=<dir> (and cache.path=<file>)",
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return OutputError(
            f"cannot write {name}: permission denied",
            hint="make it writable or choose another place with hydra.run.dir=<dir> / "
            "cache.path=<file>",
        )
    return OutputError(
        f"cannot read or write {name}: {exc.strerror or exc}",
        hint="check the path, its permissions and the free disk space",
    )


def sqlite_error(exc: sqlite3.Error, path: object = None) -> OutputError:
    """One line for a judgement-store failure (open or write)."""
    text = str(exc).lower()
    where = f"cache.path={path}" if path is not None else "the judgement store"
    if "full" in text:
        return OutputError(f"{where}: the disk is full", hint=_WHERE_HINT)
    if "readonly" in text or "read-only" in text:
        return OutputError(
            f"{where} is read-only",
            hint="make it (and its directory) writable, point cache.path at another file, "
            "or read it with cache=replay",
        )
    if "not a database" in text or "file is encrypted" in text:
        return OutputError(
            f"{where} is not a judgement store (plain text or another format)",
            hint="point cache.path at a judgement store (.sqlite), or move the file away to "
            "start a new store",
        )
    if "malformed" in text or "corrupt" in text:
        return OutputError(
            f"{where} is corrupt ({exc})",
            hint="restore it from a backup or move it away (judgements will be made again)",
        )
    if "unable to open" in text:
        return OutputError(
            f"{where} cannot be opened ({exc})",
            hint="check the path and the permissions of its directory",
        )
    return OutputError(f"{where}: {exc}", hint="check the file, or point cache.path elsewhere")


def as_runner_error(exc: BaseException) -> BaseException:
    """The RunnerError ``exc`` stands for; ``exc`` (unwrapped) when it is none of ours."""
    inner = unwrap_group(exc)
    if isinstance(inner, RunnerError | KeyboardInterrupt):
        return inner
    if isinstance(inner, sqlite3.Error):
        return sqlite_error(inner)
    if isinstance(inner, OSError):
        return os_error(inner)
    return inner
