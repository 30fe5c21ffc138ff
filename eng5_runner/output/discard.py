"""Remove the run directory of a run that stopped on a config or input error before any work.

Only what Hydra and the runner put there is removed (``.hydra/``, ``eng5.log``,
``manifest.json``); a directory holding anything else (``hydra.run.dir`` pointed at an
existing folder) is kept, and the caller marks it failed with ``error.json`` instead.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

BOOKKEEPING = frozenset({".hydra", "eng5.log", "manifest.json", "error.json"})


def discard_run_dir(run_dir: Path) -> bool:
    """Delete ``run_dir`` if it holds only bookkeeping; True when it is gone."""
    if not run_dir.is_dir():
        return True
    if any(entry.name not in BOOKKEEPING for entry in run_dir.iterdir()):
        return False
    _close_log_handlers(run_dir)
    hydra_dir = run_dir / ".hydra"
    if hydra_dir.is_dir() and all(p.suffix == ".yaml" for p in hydra_dir.iterdir()):
        shutil.rmtree(hydra_dir)
    for name in BOOKKEEPING - {".hydra"}:
        (run_dir / name).unlink(missing_ok=True)
    try:
        run_dir.rmdir()
    except OSError:
        return False
    return True


def _close_log_handlers(run_dir: Path) -> None:
    """Close the root logger's file handlers writing into ``run_dir`` (Hydra's job log)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        filename = getattr(handler, "baseFilename", None)
        if filename is not None and Path(filename).parent == run_dir.resolve():
            root.removeHandler(handler)
            handler.close()
