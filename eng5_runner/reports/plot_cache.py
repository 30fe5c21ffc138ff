"""Reuse PNGs already drawn from identical plot inputs (a cached re-run redraws nothing).

Key: sha256 over the runner version, the installed matplotlib version, the source of
:mod:`eng5_runner.reports.plots`, the drawing function and the result's JSON without
the fields that differ between a first run and its cached re-run but are never plotted
(record counts and costs, failures, warnings). Entries live next to the judgement store
(``<cache.path dir>/plot_cache/<key>/``, ``cache=read_write`` only); ``index.json`` is
written last, so a half-written entry is never used. The oldest entries beyond
:data:`MAX_ENTRIES` are removed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from eng5_runner import __version__
from eng5_runner.output.atomic import write_bytes_atomic, write_text_atomic
from eng5_runner.settings.models import RunnerSettings

__all__ = ["cached_draw", "plot_cache_dir"]

MAX_ENTRIES = 200
_UNPLOTTED = {"counts", "failures", "warnings"}


def plot_cache_dir(settings: RunnerSettings) -> Path | None:
    """Where this run's plots may be reused from, or None (cache off or replay)."""
    if settings.cache.mode != "read_write":
        return None
    return Path(settings.cache.path).parent / "plot_cache"


@cache
def _code_digest() -> str:
    from eng5_runner.reports import plots

    source = Path(plots.__file__).read_bytes()
    try:
        mpl = metadata.version("matplotlib")
    except metadata.PackageNotFoundError:  # pragma: no cover - a hard dependency
        mpl = "?"
    return hashlib.sha256(source + f"|{__version__}|{mpl}".encode()).hexdigest()


def plot_key(
    draw: Callable[..., list[Path]], result: BaseModel, subtitle: str | None = None
) -> str:
    """The cache key of ``draw(result, ..., subtitle)`` (see the module docstring)."""
    payload = result.model_dump_json(exclude=_UNPLOTTED)
    name = f"{draw.__module__}.{draw.__qualname__}"
    text = f"{_code_digest()}|{name}|{subtitle}|{payload}"
    return hashlib.sha256(text.encode()).hexdigest()


def cached_draw(
    draw: Callable[[Any, Path, str | None], list[Path]],
    result: BaseModel,
    plots_dir: Path,
    cache_dir: Path,
    subtitle: str | None = None,
) -> list[Path]:
    """``draw(result, plots_dir, subtitle)``, or copies of the PNGs drawn for identical inputs."""
    entry = cache_dir / plot_key(draw, result, subtitle)
    names = _index(entry)
    if names is not None:
        return [write_bytes_atomic(plots_dir / n, (entry / n).read_bytes()) for n in names]
    written = draw(result, plots_dir, subtitle)
    try:
        for path in written:
            write_bytes_atomic(entry / path.name, path.read_bytes())
        write_text_atomic(entry / "index.json", json.dumps([p.name for p in written]))
        _prune(cache_dir)
    except OSError:
        pass  # a cache that cannot be written only costs a redraw next time
    return written


def _index(entry: Path) -> list[str] | None:
    try:
        names = json.loads((entry / "index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(names, list) or not all((entry / str(n)).is_file() for n in names):
        return None
    return [str(n) for n in names]


def _prune(cache_dir: Path) -> None:
    entries = sorted(
        (p for p in cache_dir.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime
    )
    for old in entries[: max(0, len(entries) - MAX_ENTRIES)]:
        shutil.rmtree(old, ignore_errors=True)
