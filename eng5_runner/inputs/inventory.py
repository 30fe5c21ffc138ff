"""The essays, grades and writing task of a run, read from disk and checked."""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from eng5_runner.errors import InputError
from eng5_runner.inputs.grade_scales import UnknownGradeError, grade_rank, normalise_grade
from eng5_runner.inputs.text_extraction import SUPPORTED_SUFFIXES, extract_text
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

    @property
    def word_count(self) -> int:
        return len(self.text.split())


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

    @property
    def essays(self) -> tuple[Essay, ...]:
        return self.anchors + self.students

    def by_id(self) -> dict[str, Essay]:
        return {essay.essay_id: essay for essay in self.essays}

    def input_files(self) -> list[FileRecord]:
        """Every input file, for the manifest's checksums."""
        files = [essay.source for essay in self.essays]
        files += [f for f in (self.grades_file, self.assignment) if f is not None]
        return files

    @classmethod
    def load(cls, dataset: DatasetSettings, mode: RunnerMode) -> RunnerInventory:
        """Read and check the dataset; raise InputError naming the file and the fix."""
        needs_students = mode is RunnerMode.EXECUTE
        anchors_dir = _require_dir(dataset.anchors_dir, "dataset.anchors_dir")
        csv_rows = _read_grades_csv(dataset.grades_file) if dataset.grades_file else {}
        anchors = tuple(
            _essay(path, "anchor", csv_rows, dataset.grade_scale)
            for path in essay_files(anchors_dir)
        )
        students: tuple[Essay, ...] = ()
        students_dir = dataset.students_dir
        if students_dir is not None and (needs_students or students_dir.is_dir()):
            students_dir = _require_dir(students_dir, "dataset.students_dir")
            students = tuple(
                _essay(path, "student", {}, dataset.grade_scale)
                for path in essay_files(students_dir)
            )
        elif needs_students:
            raise InputError(
                "dataset.students_dir is not set; execute mode judges student essays",
                hint="set dataset.students_dir=<dir>",
            )
        if needs_students and not students:
            raise InputError(f"dataset.students_dir={students_dir}: no essays found")
        _check_unique(anchors + students)
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
            grade_source="csv" if csv_rows else "file_name",
        )


def essay_files(directory: Path) -> list[Path]:
    """Supported essay files in ``directory``, sorted; Word lock files (``~$``) skipped."""
    return sorted(
        p
        for p in directory.iterdir()
        if p.is_file()
        and p.suffix.lower() in SUPPORTED_SUFFIXES
        and not p.name.startswith("~$")
        and not p.name.startswith(".")
        and p.name.lower() != "readme.md"
    )


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


def _essay(
    path: Path, role: Literal["anchor", "student"], csv_rows: dict[str, tuple[str, str]], scale: str
) -> Essay:
    text = extract_text(path)
    if not text.strip():
        raise InputError(f"{path}: the essay is empty", hint="remove the file or add its text")
    label, grade = path.stem, None
    if role == "anchor":
        row = csv_rows.get(path.name) or csv_rows.get(path.stem)
        if row is not None:
            label, grade = row
        else:
            grade = grade_from_file_name(path.stem)
            if not grade:
                raise InputError(
                    f"{path}: no grade for this anchor",
                    hint="add it to the grades CSV or end the file name with _<GRADE>",
                )
        try:
            grade_rank(grade, scale)
        except UnknownGradeError as exc:
            raise InputError(
                f"{path}: {exc}", hint="fix the grade or dataset.grade_scale"
            ) from None
    return Essay(
        essay_id=essay_id_for(role, text),
        label=label,
        stem=path.stem,
        role=role,
        grade=grade,
        text=text,
        source=FileRecord.of(path),
    )


def _read_grades_csv(path: Path) -> dict[str, tuple[str, str]]:
    """Map file name (and stem) → (anchor id, grade) from the grades CSV."""
    if not path.is_file():
        raise InputError(
            f"dataset.grades_file={path}: file not found",
            hint="fix the path or set dataset.grades_file=null",
        )
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = {(h or "").strip().lower(): h for h in reader.fieldnames or []}
        id_col = _column(header, ("anchor-id", "anchor_id", "id"))
        file_col = _column(header, ("file-name", "file_name", "file"))
        grade_col = _column(header, ("grade", "pred_mode_grade", "expert_grade"))
        if file_col is None or grade_col is None:
            raise InputError(
                f"dataset.grades_file={path}: needs a file name and a grade column",
                hint="header e.g. anchor_id,file_name,grade",
            )
        rows: dict[str, tuple[str, str]] = {}
        seen_ids: dict[str, str] = {}
        for line_no, row in enumerate(reader, start=2):
            file_name = (row.get(file_col) or "").strip()
            grade = normalise_grade(row.get(grade_col) or "")
            if not file_name:
                continue
            anchor_id = (row.get(id_col) or "").strip() if id_col else ""
            anchor_id = anchor_id or Path(file_name).stem
            if not grade:
                raise InputError(f"{path}:{line_no}: anchor '{anchor_id}' has no grade")
            if anchor_id in seen_ids:
                raise InputError(
                    f"{path}:{line_no}: anchor id '{anchor_id}' is used twice "
                    f"({seen_ids[anchor_id]} and {file_name})",
                    hint="give every anchor its own id",
                )
            seen_ids[anchor_id] = file_name
            rows[file_name] = (anchor_id, grade)
            rows.setdefault(Path(file_name).stem, (anchor_id, grade))
    return rows


def _column(header: dict[str, str], names: Iterable[str]) -> str | None:
    for name in names:
        if name in header:
            return header[name]
    return None


def _check_unique(essays: tuple[Essay, ...]) -> None:
    by_text: dict[str, Essay] = {}
    by_label: dict[tuple[str, str], Essay] = {}
    for essay in essays:
        key = hashlib.sha256(essay.text.encode()).hexdigest()
        if key in by_text:
            raise InputError(
                f"{essay.source.path}: same text as {by_text[key].source.path}",
                hint="remove the duplicate essay",
            )
        by_text[key] = essay
        label_key = (essay.role, essay.label)
        if label_key in by_label:
            raise InputError(
                f"{essay.source.path} and {by_label[label_key].source.path} share the id "
                f"'{essay.label}'",
                hint="rename one file or give it its own anchor id",
            )
        by_label[label_key] = essay
    ids = [essay.essay_id for essay in essays]
    if len(set(ids)) != len(ids) or any(len(i) > ESSAY_ID_MAX for i in ids):
        raise InputError("essay ids collide or exceed 36 characters; this is a bug, please report")
