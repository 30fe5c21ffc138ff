"""The project folder: the one root that relative input paths are resolved against.

A researcher keeps experiments in their own folder, e.g. ``my_study/conf/experiment/...``,
and runs ``eng5-runner --config-dir my_study/conf ...`` from anywhere. The *project folder*
is then ``my_study``: the folder that holds the first user config directory on Hydra's
search path (``--config-dir``, else the first ``hydra.searchpath`` entry; for ``pkg://`` the
folder holding that package). Without a user config directory it is the directory the
command was started in. ``project_dir=<path>`` on the command line sets it explicitly.

Relative *input* paths -- dataset folders and files, prompt files, ``.jsonl`` cassettes,
the report baseline -- are made absolute against it before validation, so they never depend
on the current directory by accident. Outputs (``outputs/``, the judgement store) stay
relative to the current directory, as Hydra's run directories are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

#: ``(section, key)`` of every setting that names an input file or folder.
INPUT_PATH_KEYS: tuple[tuple[str, str], ...] = (
    ("dataset", "root"),
    ("dataset", "anchors_dir"),
    ("dataset", "students_dir"),
    ("dataset", "grades_file"),
    ("dataset", "assignment_file"),
    ("system_prompt", "file"),
    ("rubric", "file"),
    ("report", "baseline"),
)
#: Suffix of a cassette: ``cache.path`` is an input only then (a store is an output).
CASSETTE_SUFFIX = ".jsonl"
#: Hydra's provider names for config dirs the user added (``--config-dir``, searchpath).
USER_PROVIDERS = ("command-line", "hydra.searchpath in command-line", "hydra.searchpath in main")


def project_dir_from_sources(sources: Iterable[Mapping[str, Any]], cwd: Path) -> Path:
    """The folder holding the first user config dir of Hydra's ``runtime.config_sources``."""
    for source in sources:
        if source.get("provider") not in USER_PROVIDERS:
            continue
        schema, path = str(source.get("schema")), str(source.get("path"))
        if schema == "file":
            return (cwd / path).resolve().parent
        if schema == "pkg":
            folder = _package_folder(path.replace("/", "."))
            if folder is not None:
                return folder.parent
    return cwd


def _package_folder(module: str) -> Path | None:
    try:
        root = resources.files(module)
    except (ValueError, ModuleNotFoundError, TypeError):
        return None
    return Path(str(root)) if isinstance(root, Path) else None


def anchor_input_paths(data: dict[str, Any], root: Path) -> dict[str, Any]:
    """``data`` (the composed config as plain dicts) with relative input paths under ``root``."""
    anchored = dict(data)
    for section, key in INPUT_PATH_KEYS:
        _anchor(anchored, section, key, root)
    cache = anchored.get("cache")
    if isinstance(cache, dict) and str(cache.get("path", "")).endswith(CASSETTE_SUFFIX):
        _anchor(anchored, "cache", "path", root)
    return anchored


def _anchor(data: dict[str, Any], section: str, key: str, root: Path) -> None:
    block = data.get(section)
    if not isinstance(block, dict):
        return
    value = block.get(key)
    if isinstance(value, str) and value and not Path(value).expanduser().is_absolute():
        data[section] = {**block, key: str(root / value)}
    elif isinstance(value, str) and value.startswith("~"):
        data[section] = {**block, key: str(Path(value).expanduser())}
