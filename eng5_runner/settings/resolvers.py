"""OmegaConf resolvers used by ``conf/`` (registered once, on package import)."""

from __future__ import annotations

import re
from pathlib import Path

from omegaconf import OmegaConf

PACKAGE_DIR = Path(__file__).resolve().parents[1]
SAMPLE_DIR = PACKAGE_DIR / "samples" / "eng5_sample"


def _sample_path(relative: str = "") -> str:
    """``${eng5.sample:anchors}`` → absolute path inside the bundled sample."""
    return str(SAMPLE_DIR / relative) if relative else str(SAMPLE_DIR)


def _prompt_name(name: str, file: str | None = None) -> str:
    """``${eng5.prompt_name:<name>,<file>}`` → the file's stem when a file is set, else name.

    The same rule :func:`~eng5_runner.settings.compose.resolve_prompt` applies, so run
    directories and reports name a ``system_prompt.file``/``rubric.file`` prompt alike.
    """
    return Path(file).stem if file else name


def _package_path(relative: str = "") -> str:
    """``${eng5.package:samples/cassettes/x.jsonl}`` → absolute path of a file shipped with
    the installed package, so packaged experiments never depend on the current directory."""
    return str(PACKAGE_DIR / relative) if relative else str(PACKAGE_DIR)


def safe_name(value: object) -> str:
    """``${eng5.safe_name:…}``: one path component; ``/``, ``..`` and odd characters → ``_``.

    Keeps a prompt or experiment name such as ``../../etc`` from placing the run
    dir outside ``outputs/``.
    """
    text = re.sub(r"[^A-Za-z0-9._+=-]", "_", str(value))
    text = re.sub(r"\.{2,}", "_", text).strip(".")
    return text[:120] or "run"


def register_resolvers() -> None:
    """Register the project's resolvers; safe to call more than once."""
    if not OmegaConf.has_resolver("eng5.sample"):
        OmegaConf.register_new_resolver("eng5.sample", _sample_path)
    if not OmegaConf.has_resolver("eng5.prompt_name"):
        OmegaConf.register_new_resolver("eng5.prompt_name", _prompt_name)
    if not OmegaConf.has_resolver("eng5.package"):
        OmegaConf.register_new_resolver("eng5.package", _package_path)
    if not OmegaConf.has_resolver("eng5.safe_name"):
        OmegaConf.register_new_resolver("eng5.safe_name", safe_name)
