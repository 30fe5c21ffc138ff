"""Match grade-sheet rows to anchor files: strictly, and with every mismatch explained."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from eng5_runner.errors import InputError
from eng5_runner.inputs.file_scan import SkippedFile
from eng5_runner.inputs.grade_sheet import GradeRow, GradeSheet, nfc


@dataclass(frozen=True)
class GradeMatch:
    """Which row grades which file, the rows that grade no file, and the row conflicts."""

    by_path: dict[Path, GradeRow]
    unmatched: tuple[GradeRow, ...]
    problems: tuple[InputError, ...]


def match_grade_rows(sheet: GradeSheet, paths: Sequence[Path]) -> GradeMatch:
    """Rows match a file by name, else by stem (``essay1`` → ``essay1.docx``); NFC, then case."""
    lookups: list[dict[str, list[Path]]] = [{}, {}, {}, {}]
    for path in paths:
        name, stem = nfc(path.name), nfc(path.stem)
        for table, key in zip(lookups, (name, stem, name.casefold(), stem.casefold()), strict=True):
            table.setdefault(key, []).append(path)
    by_path: dict[Path, GradeRow] = {}
    unmatched: list[GradeRow] = []
    problems: list[InputError] = []
    for row in sheet.rows:
        name = nfc(row.file_name)
        keys = (name, name, name.casefold(), name.casefold())
        found = next((t[k] for t, k in zip(lookups, keys, strict=True) if k in t), [])
        if not found:
            unmatched.append(row)
            continue
        if len(found) > 1:
            listed = ", ".join(p.name for p in found)
            problems.append(
                InputError(
                    f"{sheet.path}: row {row.row} '{row.file_name}' matches {len(found)} files "
                    f"({listed})",
                    hint="write the file name with its extension",
                )
            )
            continue
        path = found[0]
        if path in by_path:
            first = by_path[path]
            problems.append(
                InputError(
                    f"{sheet.path}: rows {first.row} ('{first.file_name}') and {row.row} "
                    f"('{row.file_name}') both grade {path.name}",
                    hint="keep one row per file",
                )
            )
            continue
        by_path[path] = row
    return GradeMatch(by_path=by_path, unmatched=tuple(unmatched), problems=tuple(problems))


def unmatched_rows_error(
    sheet: GradeSheet, rows: Sequence[GradeRow], directory: Path, skipped: Sequence[SkippedFile]
) -> InputError:
    """Grade rows that name no essay file: which rows, and why when the file was skipped."""
    shown = ", ".join(f"row {r.row} '{r.file_name}'" for r in rows[:5])
    more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
    skipped_by_name = {nfc(s.path.name).casefold(): s for s in skipped}
    why = [
        f"{s.path.name}: {s.reason}"
        for r in rows
        if (s := skipped_by_name.get(nfc(r.file_name).casefold())) is not None
    ]
    because = f" ({'; '.join(why)})" if why else ""
    return InputError(
        f"{sheet.path}: {len(rows)} grade row(s) match no essay file in {directory}: "
        f"{shown}{more}{because}",
        hint="fix the file names or add the files, or set dataset.allow_unmatched_grades=true "
        "to ignore these rows",
    )
