"""Write a new project folder: configs, prompts, a dataset layout, .gitignore and CI.

The files come from ``template/`` next to this module (``dot-<name>`` becomes ``.<name>``,
so the dotfiles survive packaging) plus the bundled synthetic sample's essays, grades
and writing task under ``data/``, so the project's experiments run at once, offline.
Nothing is ever overwritten: an existing file is an error naming it (exit 2).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from eng5_runner.settings.resolvers import SAMPLE_DIR

TEMPLATE_DIR = Path(__file__).resolve().parent / "template"
#: Template names that start with this prefix are written as dotfiles.
DOT_PREFIX = "dot-"
#: Exit code when the target holds a file we would overwrite (a usage error, like ConfigError).
EXIT_EXISTS = 2
#: Sample files copied into the new project: source (in the sample) → target (in the project).
SAMPLE_FILES = {"anchors.csv": "data/grades.csv", "assignment.md": "data/assignment.md"}
SAMPLE_DIRS = {"anchors": "data/anchors", "students": "data/students"}


def planned_files(target: Path) -> dict[Path, Path]:
    """Every file the scaffold writes: target path → source path."""
    files: dict[Path, Path] = {}
    for source in sorted(TEMPLATE_DIR.rglob("*")):
        if source.is_file() and "__pycache__" not in source.parts:
            rel = Path(*(_undot(part) for part in source.relative_to(TEMPLATE_DIR).parts))
            files[target / rel] = source
    for sample_name, project_rel in SAMPLE_FILES.items():
        files[target / project_rel] = SAMPLE_DIR / sample_name
    for sample_dir, project_rel in SAMPLE_DIRS.items():
        for essay in sorted((SAMPLE_DIR / sample_dir).iterdir()):
            if essay.is_file():
                files[target / project_rel / essay.name] = essay
    return files


def _undot(part: str) -> str:
    return "." + part[len(DOT_PREFIX) :] if part.startswith(DOT_PREFIX) else part


def write_project(target: Path) -> list[Path]:
    """Write the project into ``target``; raise FileExistsError naming the first clash."""
    files = planned_files(target)
    clash = next((path for path in files if path.exists()), None)
    if clash is not None:
        raise FileExistsError(str(clash))
    for path, source in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, path)
    return sorted(files)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: ``eng5-runner-init DIR``."""
    parser = argparse.ArgumentParser(
        prog="eng5-runner-init",
        description="Write a ready eng5-runner project folder (configs, prompts, data, CI).",
    )
    parser.add_argument("directory", type=Path, help="the new project folder (created)")
    args = parser.parse_args(argv)
    target: Path = args.directory
    try:
        written = write_project(target)
    except FileExistsError as exc:
        print(
            f"error: {exc} already exists; eng5-runner-init never overwrites files "
            "(hint: pick a new or empty directory)",
            file=sys.stderr,
        )
        raise SystemExit(EXIT_EXISTS) from None
    except OSError as exc:
        print(f"error: cannot write the project into {target}: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    print(f"Wrote {len(written)} files into {target}/. Next, from that folder:")
    print("  eng5-runner --config-dir conf mode=plan experiment=my_alignment_v1")
    print("  eng5-runner --config-dir conf experiment=my_alignment_v1")
    print("  (README.md there has the sweep command and what each file is for)")


if __name__ == "__main__":
    main()
