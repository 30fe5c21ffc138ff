"""Helpers for the engine tests: a synthetic inventory and a fake key."""

from __future__ import annotations

from pathlib import Path

from eng5_runner.inputs.inventory import Essay, FileRecord, RunnerInventory, essay_id_for

GRADES = ("A", "B", "C+", "C-", "D+", "D-", "E+", "E-", "F+")
FAKE_KEY = "sk-test-0123456789abcdef"


def make_inventory(n_anchors: int = 4, n_students: int = 0) -> RunnerInventory:
    """Synthetic anchors ``anchor_<i>_<GRADE>`` (best first) and students."""
    essays = []
    for i in range(n_anchors):
        grade = GRADES[i % len(GRADES)]
        text = f"Anchor essay number {i} written at grade {grade}. " + "word " * (5 + i)
        essays.append(
            Essay(
                essay_id=essay_id_for("anchor", text),
                label=f"anchor_{i}_{grade}",
                stem=f"anchor_{i}_{grade}",
                role="anchor",
                grade=grade,
                text=text,
                source=FileRecord(path=Path(f"anchor_{i}_{grade}.txt"), exists=False),
            )
        )
    students = []
    for i in range(n_students):
        text = f"Student essay {i}. " + "text " * (3 + i)
        students.append(
            Essay(
                essay_id=essay_id_for("student", text),
                label=f"student_{i}",
                stem=f"student_{i}",
                role="student",
                grade=None,
                text=text,
                source=FileRecord(path=Path(f"student_{i}.txt"), exists=False),
            )
        )
    return RunnerInventory(
        anchors=tuple(essays),
        students=tuple(students),
        anchors_dir=Path("anchors"),
        students_dir=None,
        grades_file=None,
        assignment=None,
        assignment_text="Write about a role model.",
        grade_scale="eng5_np_legacy_9_step",
        grade_source="file_name",
    )
