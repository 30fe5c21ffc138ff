"""Run identity and provenance: signature, git SHA, versions, input checksums."""

from __future__ import annotations

import functools
import hashlib
import json
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eng5_runner import __version__
from eng5_runner.settings.models import NON_SEMANTIC_FIELDS, TOP_LEVEL_NON_SEMANTIC, RunnerSettings


def semantic_settings(settings: RunnerSettings) -> dict[str, Any]:
    """The settings that can change results (the run signature's input)."""
    data = settings.model_dump(mode="json")
    for key in TOP_LEVEL_NON_SEMANTIC:
        data.pop(key, None)
    for section, fields in NON_SEMANTIC_FIELDS.items():
        for field in fields:
            data.get(section, {}).pop(field, None)
    for prompt in ("system_prompt", "rubric"):
        data[prompt].pop("file", None)
        data[prompt].pop("name", None)
    data["dataset"].pop("name", None)
    data["judge"]["simulated"].pop("latency_ms", None)
    if settings.backend.kind == "local":
        data["backend"] = {"kind": "local"}  # service URLs cannot change a local run
    return data


def run_signature(settings: RunnerSettings) -> str:
    """12 hex of sha256 over the canonical JSON of the semantic settings."""
    canonical = json.dumps(semantic_settings(settings), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


@functools.lru_cache(maxsize=8)
def git_sha(cwd: Path | None = None) -> str | None:
    """HEAD's SHA of the repository around ``cwd``; None outside a repo (asked once)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=cwd or Path.cwd(),
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    sha = out.stdout.strip()
    return sha if out.returncode == 0 and len(sha) == 40 else None


def utc_now() -> str:
    """ISO-8601 UTC timestamp with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def environment_info() -> dict[str, str]:
    """Package, Python and OS versions."""
    return {
        "eng5_runner": __version__,
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "os": platform.platform(terse=True),
    }
