"""Where a run writes: one directory per run, fixed file names inside it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunnerPaths:
    """All output locations of one run, derived from its run directory."""

    run_dir: Path

    @property
    def manifest(self) -> Path:
        return self.run_dir / "manifest.json"

    @property
    def plan(self) -> Path:
        return self.run_dir / "plan.json"

    @property
    def artefact(self) -> Path:
        return self.run_dir / "artefact.json"

    @property
    def comparisons(self) -> Path:
        return self.run_dir / "comparisons.jsonl"

    @property
    def report(self) -> Path:
        return self.run_dir / "report.md"

    @property
    def summary(self) -> Path:
        return self.run_dir / "summary.json"

    @property
    def error(self) -> Path:
        return self.run_dir / "error.json"

    @property
    def plots_dir(self) -> Path:
        return self.run_dir / "plots"

    @property
    def requests_dir(self) -> Path:
        return self.run_dir / "requests"

    @property
    def events_dir(self) -> Path:
        return self.run_dir / "events"

    def ensure(self) -> RunnerPaths:
        """Create the run directory (idempotent) and return self."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        return self
