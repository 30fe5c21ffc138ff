"""Read a grade sheet as people have them: CSV/TSV (any of , ; tab), .xlsx/.xls or .ods.

Header names are matched case- and accent-insensitively against English and Swedish
aliases; text files may be UTF-8 (with or without BOM) or cp1252; file names are
Unicode-normalised (NFC) so names typed on a Mac (NFD) match.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path, PureWindowsPath
from typing import Literal

from pydantic import BaseModel, ConfigDict

from eng5_runner.errors import InputError
from eng5_runner.inputs.grade_scales import normalise_grade
from eng5_runner.inputs.text_encoding import decode_text

SheetFormat = Literal["csv", "xlsx", "ods"]

FILE_ALIASES = ("file", "filename", "file_name", "essay", "fil", "filnamn", "document", "uppsats")
GRADE_ALIASES = ("grade", "betyg", "pred_mode_grade", "expert_grade", "anchor_grade")
ID_ALIASES = ("anchor_id", "id", "anchor", "essay_id", "ankare")

TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
DELIMITERS = (",", ";", "\t")
#: The header may follow a few title rows ("Betyg VT24"); it is looked for this far down.
HEADER_SEARCH_ROWS = 10
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


class GradeRow(BaseModel):
    """One data row: where it is in the sheet, the file it names, its id and grade."""

    model_config = ConfigDict(frozen=True)

    row: int
    """Row number as a spreadsheet shows it (the header's row counts)."""
    file_name: str
    """The file name as written (NFC), without any directory part."""
    anchor_id: str | None
    grade: str


class GradeSheet(BaseModel):
    """A grade sheet, read and checked: rows plus how it was read."""

    model_config = ConfigDict(frozen=True)

    path: Path
    format: SheetFormat
    encoding: str | None = None
    delimiter: str | None = None
    sheet_name: str | None = None
    header: tuple[str, ...]
    rows: tuple[GradeRow, ...]

    def describe(self) -> str:
        """``grades.csv (CSV, semicolon-separated, cp1252, 12 rows)``."""
        parts = [self.format.upper()]
        if self.delimiter is not None:
            parts.append(f"{_DELIMITER_NAMES[self.delimiter]}-separated")
        if self.encoding is not None:
            parts.append(self.encoding)
        if self.sheet_name is not None:
            parts.append(f"sheet '{self.sheet_name}'")
        parts.append(f"{len(self.rows)} row{'' if len(self.rows) == 1 else 's'}")
        return f"{self.path.name} ({', '.join(parts)})"


def nfc(text: str) -> str:
    """Unicode NFC form (composed å, ä, ö), stripped."""
    return unicodedata.normalize("NFC", text).strip()


def header_key(name: str) -> str:
    """Comparable form of a header cell: no accents, no case, letters and digits only."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(ch for ch in plain.casefold() if ch.isalnum())


def read_grade_sheet(path: Path) -> GradeSheet:
    """Read ``path``; raise :class:`InputError` naming the file and the fix."""
    where = f"dataset.grades_file={path}"
    if not path.is_file():
        raise InputError(
            f"{where}: file not found", hint="fix the path or set dataset.grades_file=null"
        )
    suffix = path.suffix.lower()
    if suffix in SPREADSHEET_SUFFIXES:
        return _read_spreadsheet(path, where)
    if suffix in TEXT_SUFFIXES:
        return _read_delimited(path, where)
    raise InputError(
        f"{where}: unsupported grade sheet type '{suffix}'",
        hint="use .csv, .tsv, .xlsx or .ods",
    )


def _read_delimited(path: Path, where: str) -> GradeSheet:
    text, encoding = decode_text(path.read_bytes(), where)
    declared = re.match(r"\s*sep=(.)\r?\n", text)  # Excel's "sep=;" first line
    if declared:
        text = text[declared.end() :]
    delimiter = declared.group(1) if declared else _pick_delimiter(text)
    if delimiter not in DELIMITERS:
        raise InputError(
            f"{where}: unsupported separator {delimiter!r}", hint="separate with , ; or tab"
        )
    table = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    header, rows = _parse_table(table, path, where, f"{_DELIMITER_NAMES[delimiter]}-separated")
    return GradeSheet(
        path=path,
        format="csv",
        encoding=encoding,
        delimiter=delimiter,
        header=header,
        rows=rows,
    )


def _pick_delimiter(text: str) -> str:
    """The delimiter under which the header names a file and a grade column; else sniffed."""
    lines = [line for line in text.splitlines() if line.strip()][:HEADER_SEARCH_ROWS]
    first = lines[0] if lines else ""
    for line in lines:
        for delimiter in DELIMITERS:
            if _has_columns(next(csv.reader([line], delimiter=delimiter), [])):
                return delimiter
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        return max(DELIMITERS, key=first.count)


def _read_spreadsheet(path: Path, where: str) -> GradeSheet:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheets = [
            (name, workbook.get_sheet_by_name(name).to_python(skip_empty_area=False))
            for name in workbook.sheet_names
        ]
    except (CalamineError, OSError, ValueError) as exc:
        raise InputError(
            f"{where}: cannot read the spreadsheet ({type(exc).__name__}: {exc})",
            hint="open and save it again in Excel or LibreOffice, or export it as .csv",
        ) from None
    if not sheets:
        raise InputError(f"{where}: the workbook has no sheets")
    fmt: SheetFormat = "ods" if path.suffix.lower() == ".ods" else "xlsx"
    tables = [(name, [[_cell_text(c) for c in row] for row in rows]) for name, rows in sheets]
    name, table = next((t for t in tables if _header_row(t[1])[0]), tables[0])
    header, rows = _parse_table(table, path, where, f"sheet '{name}'")
    return GradeSheet(
        path=path,
        format=fmt,
        sheet_name=name if len(tables) > 1 else None,
        header=header,
        rows=rows,
    )


def _cell_text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime | date | time | timedelta):
        return cell.isoformat() if not isinstance(cell, timedelta) else str(cell)
    return str(cell)


class _Columns:
    """Indexes of the file, grade and (optional) id columns in a header row."""

    def __init__(self, file: int | None, grade: int | None, anchor_id: int | None) -> None:
        self.file = file
        self.grade = grade
        self.anchor_id = anchor_id


def _columns(header: Sequence[str]) -> _Columns:
    keys = [header_key(cell) for cell in header]

    def find(aliases: Sequence[str]) -> int | None:
        wanted = [header_key(a) for a in aliases]
        for alias in wanted:  # alias order is preference order
            if alias in keys:
                return keys.index(alias)
        return None

    return _Columns(find(FILE_ALIASES), find(GRADE_ALIASES), find(ID_ALIASES))


def _has_columns(header: Sequence[str]) -> bool:
    columns = _columns(header)
    return columns.file is not None and columns.grade is not None


def _first_row(table: list[list[str]]) -> tuple[int, list[str]]:
    for number, row in enumerate(table, start=1):
        if any(cell.strip() for cell in row):
            return number, row
    return 0, []


def _header_row(table: list[list[str]]) -> tuple[int, list[str]]:
    """The first of the first non-empty rows that names a file and a grade column."""
    seen = 0
    for number, row in enumerate(table, start=1):
        if not any(cell.strip() for cell in row):
            continue
        if _has_columns(row):
            return number, row
        seen += 1
        if seen >= HEADER_SEARCH_ROWS:
            break
    return 0, []


def _parse_table(
    table: list[list[str]], path: Path, where: str, read_as: str
) -> tuple[tuple[str, ...], tuple[GradeRow, ...]]:
    header_row, header = _header_row(table)
    if not header_row:
        header_row, header = _first_row(table)
    if not header_row:
        raise InputError(
            f"{where}: the grade sheet is empty", hint="add a header and one row per anchor"
        )
    columns = _columns(header)
    if columns.file is None or columns.grade is None:
        shown = " | ".join(cell.strip() for cell in header)
        missing = " and ".join(
            what
            for what, index in (("file-name", columns.file), ("grade", columns.grade))
            if index is None
        )
        raise InputError(
            f"{where}: no {missing} column in the header [{shown}] (read as {read_as})",
            hint=f"name the columns e.g. file_name and grade (file: {', '.join(FILE_ALIASES)}; "
            f"grade: {', '.join(GRADE_ALIASES)}; optional id: {', '.join(ID_ALIASES)})",
        )
    rows: list[GradeRow] = []
    seen_files: dict[str, GradeRow] = {}
    seen_ids: dict[str, GradeRow] = {}
    for number, cells in enumerate(table[header_row:], start=header_row + 1):
        if not any(cell.strip() for cell in cells):
            continue

        def cell(index: int | None, cells: list[str] = cells) -> str:
            return nfc(cells[index]) if index is not None and index < len(cells) else ""

        raw_name = cell(columns.file)
        grade = normalise_grade(cell(columns.grade))
        anchor_id = cell(columns.anchor_id) or None
        if not raw_name:
            raise InputError(
                f"{path}: row {number} has no file name",
                hint="fill in the file-name column or delete the row",
            )
        file_name = PureWindowsPath(raw_name).name  # drop a directory part, / or \
        if not grade:
            raise InputError(
                f"{path}: row {number} ('{file_name}') has no grade", hint="fill in its grade"
            )
        row = GradeRow(row=number, file_name=file_name, anchor_id=anchor_id, grade=grade)
        key = file_name.casefold()
        if key in seen_files:
            raise InputError(
                f"{path}: rows {seen_files[key].row} and {number} both list '{file_name}'",
                hint="keep one row per file",
            )
        seen_files[key] = row
        if anchor_id is not None:
            if anchor_id in seen_ids:
                first = seen_ids[anchor_id]
                raise InputError(
                    f"{path}: anchor id '{anchor_id}' is used twice (row {first.row}: "
                    f"{first.file_name}, row {number}: {file_name})",
                    hint="give every anchor its own id",
                )
            seen_ids[anchor_id] = row
        rows.append(row)
    return tuple(cell.strip() for cell in header), tuple(rows)
