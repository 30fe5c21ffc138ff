"""The essays, grades and writing task of a run, read from disk and checked."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from eng5_runner.errors import InputError
from eng5_runner.inputs.file_scan import SkippedFile, scan_essay_dir, skipped_warning
from eng5_runner.inputs.grade_matching import GradeMatch, match_grade_rows, unmatched_rows_error
from eng5_runner.inputs.grade_scales import UnknownGradeError, grade_rank, normalise_grade
from eng5_runner.inputs.grade_sheet import GradeRow, GradeSheet, nfc, read_grade_sheet
from eng5_runner.inputs.text_extraction import SUPPORTED_SUFFIXES, extract, extract_text
from eng5_runner.settings.models import DatasetSettings, RunnerMode

ESSAY_ID_MAX = 36


class FileRecord(BaseModel):
    """A file the run depends on, with its checksum for provenance."""

    model_config = ConfigDict(frozen=True)

    path: Path
    exists: bool
    size_bytes: int | None = None
    sha256: str | None = None

    @classmethod
    def of(cls, path: Path) -> FileRecord:
        if not path.is_file():
            return cls(path=path, exists=False)
        data = path.read_bytes()
        return cls(
            path=path, exists=True, size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest()
        )


class Essay(BaseModel):
    """One essay: opaque id, human label, role, expert grade (anchors) and text."""

    model_config = ConfigDict(frozen=True)

    essay_id: str
    """Opaque (hash of the text), at most 36 characters; never shows grade or file name."""
    label: str
    """Anchor id from the grades CSV, else the file stem: what reports show."""
    stem: str
    role: Literal["anchor", "student"]
    grade: str | None
    text: str
    source: FileRecord
    method: str | None = None
    """How the text was read, e.g. ``docx (python-docx; 1 table)``."""

    @property
    def word_count(self) -> int:
        return len(self.text.split())


class InventoryFile(BaseModel):
    """One entry of an essay directory as the plan shows it: read, skipped or a problem."""

    model_config = ConfigDict(frozen=True)

    path: Path
    role: Literal["anchor", "student"]
    status: Literal["ok", "skipped", "problem"]
    essay_id: str | None = None
    label: str | None = None
    grade: str | None = None
    words: int | None = None
    method: str | None = None
    note: str | None = None
    """Why it was skipped, or the problem (one line)."""


class InventoryError(InputError):
    """The dataset has input problems; carries everything read so the plan can show it."""

    def __init__(
        self, problems: list[InputError], survey: InventorySurvey, *, listed: bool = False
    ) -> None:
        first = problems[0]
        where = "listed above" if listed else "mode=plan lists them all"
        more = f" ({len(problems) - 1} more input problem(s): {where})" if len(problems) > 1 else ""
        super().__init__(first.message, hint=f"{first.hint}{more}" if first.hint else more.strip())
        self.problems = problems
        self.survey = survey


class InventorySurvey(BaseModel):
    """What was found, problems included: the inventory check of ``mode=plan``."""

    model_config = ConfigDict(frozen=True)

    files: tuple[InventoryFile, ...] = ()
    grade_sheet: str | None = None
    """How the grades file was read: ``g.csv (CSV, semicolon-separated, cp1252, 12 rows)``."""
    unmatched_grade_rows: tuple[GradeRow, ...] = ()
    duplicates: tuple[tuple[str, str], ...] = ()
    """Pairs of files with the same text."""
    warnings: tuple[str, ...] = ()


class RunnerInventory(BaseModel):
    """Everything read from the dataset, validated."""

    model_config = ConfigDict(frozen=True)

    anchors: tuple[Essay, ...]
    students: tuple[Essay, ...]
    anchors_dir: Path
    students_dir: Path | None
    grades_file: FileRecord | None
    assignment: FileRecord | None
    assignment_text: str | None
    grade_scale: str
    grade_source: Literal["csv", "file_name"]
    """``csv``: from the grades file (CSV or spreadsheet); ``file_name``: ``…_<GRADE>``."""
    survey: InventorySurvey = InventorySurvey()

    @property
    def essays(self) -> tuple[Essay, ...]:
        return self.anchors + self.students

    @property
    def warnings(self) -> tuple[str, ...]:
        """Input warnings (skipped files, ignored grade rows) for every mode to show."""
        return self.survey.warnings

    def by_id(self) -> dict[str, Essay]:
        return {essay.essay_id: essay for essay in self.essays}

    def input_files(self) -> list[FileRecord]:
        """Every input file, for the manifest's checksums."""
        files = [essay.source for essay in self.essays]
        files += [f for f in (self.grades_file, self.assignment) if f is not None]
        return files

    @classmethod
    def load(cls, dataset: DatasetSettings, mode: RunnerMode) -> RunnerInventory:
        """Read and check the dataset; raise InputError naming the file and the fix.

        Problems with single files (unreadable, ungraded, duplicate, unmatched grade rows)
        are all collected first and raised together as :class:`InventoryError`, whose
        ``survey`` holds everything that was read.
        """
        needs_students = mode is RunnerMode.EXECUTE
        anchors_dir = _require_dir(dataset.anchors_dir, "dataset.anchors_dir")
        sheet = read_grade_sheet(dataset.grades_file) if dataset.grades_file else None
        found = _Collector(scale=dataset.grade_scale, others=_other_inputs(dataset))
        problems, warnings = found.problems, found.warnings
        anchor_paths, anchor_skipped = found.scan(anchors_dir, "anchor")
        match = match_grade_rows(sheet, anchor_paths) if sheet is not None else None
        if match is not None:
            problems.extend(match.problems)
        anchors = found.read(anchor_paths, "anchor", sheet, match)
        students: tuple[Essay, ...] = ()
        students_dir = dataset.students_dir
        if students_dir is not None and (needs_students or students_dir.is_dir()):
            students_dir = _require_dir(students_dir, "dataset.students_dir")
            student_paths, _ = found.scan(students_dir, "student")
            students = found.read(student_paths, "student", None, None)
        elif needs_students:
            raise InputError(
                "dataset.students_dir is not set; execute mode judges student essays",
                hint="set dataset.students_dir=<dir>",
            )
        unmatched = match.unmatched if match is not None else ()
        if sheet is not None and unmatched:
            error = unmatched_rows_error(sheet, unmatched, anchors_dir, anchor_skipped)
            if dataset.allow_unmatched_grades:
                warnings.append(f"{error.message} (ignored: dataset.allow_unmatched_grades=true)")
            else:
                problems.append(error)
        duplicates = _check_unique(anchors + students, problems)
        survey = InventorySurvey(
            files=tuple(sorted(found.rows, key=lambda f: (f.role != "anchor", f.path.name))),
            grade_sheet=sheet.describe() if sheet is not None else None,
            unmatched_grade_rows=tuple(unmatched),
            duplicates=duplicates,
            warnings=tuple(warnings),
        )
        if problems:
            raise InventoryError(problems, survey, listed=mode is RunnerMode.PLAN)
        if needs_students and not students:
            raise InputError(f"dataset.students_dir={students_dir}: no essays found")
        assignment_text = None
        assignment = None
        if dataset.assignment_file is not None:
            assignment = FileRecord.of(dataset.assignment_file)
            if not assignment.exists:
                raise InputError(
                    f"dataset.assignment_file={dataset.assignment_file}: file not found",
                    hint="fix the path or set dataset.assignment_file=null",
                )
            assignment_text = extract_text(dataset.assignment_file) or None
        return cls(
            anchors=anchors,
            students=students,
            anchors_dir=anchors_dir,
            students_dir=students_dir,
            grades_file=FileRecord.of(dataset.grades_file) if dataset.grades_file else None,
            assignment=assignment,
            assignment_text=assignment_text,
            grade_scale=dataset.grade_scale,
            grade_source="csv" if sheet is not None else "file_name",
            survey=survey,
        )


def essay_files(directory: Path) -> list[Path]:
    """Supported essay files in ``directory``, sorted; see :func:`scan_essay_dir`."""
    return scan_essay_dir(directory, SUPPORTED_SUFFIXES)[0]


def essay_id_for(role: str, text: str) -> str:
    """Opaque id from the text alone: stable across runs, no name or grade in it."""
    digest = hashlib.sha256(f"{role}\n{text}".encode()).hexdigest()
    return f"{'a' if role == 'anchor' else 's'}{digest[:15]}"


def grade_from_file_name(stem: str) -> str:
    """Upstream rule: the part after the last ``_``, trailing digits stripped."""
    tail = stem.rsplit("_", 1)[-1]
    return normalise_grade(re.sub(r"\d+$", "", tail))


def _require_dir(path: Path, key: str) -> Path:
    if not path.exists():
        raise InputError(f"{key}={path}: directory not found", hint=f"set {key}=<existing dir>")
    if not path.is_dir():
        raise InputError(f"{key}={path}: not a directory", hint=f"set {key}=<existing dir>")
    return path


def _other_inputs(dataset: DatasetSettings) -> dict[Path, str]:
    """Input files that may sit among the essays and are not essays."""
    others: dict[Path, str] = {}
    if dataset.grades_file is not None:
        others[dataset.grades_file] = "the grades file (dataset.grades_file)"
    if dataset.assignment_file is not None:
        others[dataset.assignment_file] = "the writing task (dataset.assignment_file)"
    return others


@dataclass
class _Collector:
    """Reads essay directories, recording every file, problem and warning on the way."""

    scale: str
    others: dict[Path, str]
    rows: list[InventoryFile] = field(default_factory=list)
    problems: list[InputError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def scan(
        self, directory: Path, role: Literal["anchor", "student"]
    ) -> tuple[list[Path], list[SkippedFile]]:
        """The essay files of ``directory``; skipped entries become rows and a warning."""
        paths, skipped = scan_essay_dir(directory, SUPPORTED_SUFFIXES, self.others)
        self.rows += [
            InventoryFile(path=s.path, role=role, status="skipped", note=s.reason) for s in skipped
        ]
        warning = skipped_warning(skipped)
        if warning:
            self.warnings.append(warning)
        return paths, skipped

    def read(
        self,
        paths: list[Path],
        role: Literal["anchor", "student"],
        sheet: GradeSheet | None,
        match: GradeMatch | None,
    ) -> tuple[Essay, ...]:
        """The essays that could be read; the others are recorded as problems."""
        essays: list[Essay] = []
        for path in paths:
            try:
                essay = _essay(path, role, sheet, match, self.scale)
            except InputError as exc:
                self.problems.append(exc)
                self.rows.append(
                    InventoryFile(path=path, role=role, status="problem", note=exc.one_line())
                )
                continue
            essays.append(essay)
            self.rows.append(
                InventoryFile(
                    path=path,
                    role=role,
                    status="ok",
                    essay_id=essay.essay_id,
                    label=essay.label,
                    grade=essay.grade,
                    words=essay.word_count,
                    method=essay.method,
                )
            )
        return tuple(essays)


def _essay(
    path: Path,
    role: Literal["anchor", "student"],
    sheet: GradeSheet | None,
    match: GradeMatch | None,
    scale: str,
) -> Essay:
    extracted = extract(path)
    text = extracted.text
    if not text.strip():
        raise InputError(f"{path}: the essay is empty", hint="remove the file or add its text")
    label, grade = nfc(path.stem), None
    if role == "anchor":
        if sheet is not None and match is not None:
            row = match.by_path.get(path)
            if row is None:
                raise InputError(
                    f"{path}: not in the grades file {sheet.path}",
                    hint=f"add a row for '{nfc(path.name)}' with its grade, or move the file "
                    "out of the anchors directory",
                )
            label, grade = row.anchor_id or label, row.grade
            where = f"{sheet.path} row {row.row} ({path.name})"
        else:
            grade = grade_from_file_name(path.stem)
            where = str(path)
            if not grade:
                raise InputError(
                    f"{path}: no grade for this anchor",
                    hint="add it to a grades file (dataset.grades_file) or end the file name "
                    "with _<GRADE>",
                )
        try:
            grade_rank(grade, scale)
        except UnknownGradeError as exc:
            raise InputError(
                f"{where}: {exc}", hint="fix the grade or dataset.grade_scale"
            ) from None
    return Essay(
        essay_id=essay_id_for(role, text),
        label=label,
        stem=nfc(path.stem),
        role=role,
        grade=grade,
        text=text,
        source=FileRecord.of(path),
        method=extracted.method,
    )


def _check_unique(
    essays: tuple[Essay, ...], problems: list[InputError]
) -> tuple[tuple[str, str], ...]:
    """Record duplicate texts and colliding labels as problems; return the duplicate pairs."""
    by_text: dict[str, Essay] = {}
    by_label: dict[tuple[str, str], Essay] = {}
    duplicates: list[tuple[str, str]] = []
    for essay in essays:
        key = hashlib.sha256(essay.text.encode()).hexdigest()
        if key in by_text:
            first = by_text[key].source.path
            duplicates.append((str(first), str(essay.source.path)))
            problems.append(
                InputError(
                    f"{essay.source.path}: same text as {first}",
                    hint="remove the duplicate essay",
                )
            )
            continue
        by_text[key] = essay
        label_key = (essay.role, essay.label)
        if label_key in by_label:
            problems.append(
                InputError(
                    f"{essay.source.path} and {by_label[label_key].source.path} share the id "
                    f"'{essay.label}'",
                    hint="rename one file or give it its own anchor id",
                )
            )
        by_label[label_key] = essay
    ids = [essay.essay_id for essay in by_text.values()]
    if len(set(ids)) != len(ids) or any(len(i) > ESSAY_ID_MAX for i in ids):
        raise InputError("essay ids collide or exceed 36 characters; this is a bug, please report")
    return tuple(duplicates)
