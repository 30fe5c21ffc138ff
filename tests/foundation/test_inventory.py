"""Reading essays, grades and the writing task from disk, and every input error."""

from __future__ import annotations

from pathlib import Path

import pytest

from eng5_runner.errors import InputError
from eng5_runner.inputs.inventory import RunnerInventory, grade_from_file_name
from eng5_runner.inputs.text_extraction import extract_text
from eng5_runner.settings.models import DatasetSettings, RunnerMode
from tests.foundation.docgen import write_docx, write_pdf

LONG = "This essay has enough words to be a real essay about phones at school. "


def _dataset(tmp_path: Path, **kw: object) -> DatasetSettings:
    return DatasetSettings(anchors_dir=tmp_path / "anchors", **kw)  # type: ignore[arg-type]


def _write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_sample_inventory_has_grades_ids_and_checksums(sample_inventory: RunnerInventory) -> None:
    inv = sample_inventory
    assert len(inv.anchors) == 12 and len(inv.students) == 8
    assert inv.grade_source == "csv"
    assert {a.grade for a in inv.anchors} == {"A", "B", "C+", "C-", "D+", "D-", "E+", "E-", "F+"}
    for essay in inv.essays:
        assert len(essay.essay_id) <= 36
        assert essay.grade is None or essay.grade not in essay.essay_id
        assert essay.source.sha256 and len(essay.source.sha256) == 64
    assert inv.assignment_text


def test_grades_from_file_names_when_no_csv(tmp_path: Path) -> None:
    _write(tmp_path / "anchors", "essay_003_E-.txt", LONG + "one")
    _write(tmp_path / "anchors", "A1.txt", LONG + "two")
    _write(tmp_path / "anchors", "~$A1.docx", "lock file")
    inv = RunnerInventory.load(_dataset(tmp_path), RunnerMode.ANCHOR_ALIGN_TEST)
    assert sorted((a.label, a.grade) for a in inv.anchors) == [("A1", "A"), ("essay_003_E-", "E-")]
    assert inv.grade_source == "file_name"


@pytest.mark.parametrize(
    "stem,grade",
    [("A1", "A"), ("F+2", "F+"), ("c-", "C-"), ("anchor_essay_eng_5_17_vt_003_E-", "E-")],
)
def test_grade_from_file_name_follows_upstream_rule(stem: str, grade: str) -> None:
    assert grade_from_file_name(stem) == grade


def test_missing_anchor_dir_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"dataset\.anchors_dir=.*directory not found"):
        RunnerInventory.load(_dataset(tmp_path), RunnerMode.PLAN)


def test_empty_essay_names_the_file(tmp_path: Path) -> None:
    _write(tmp_path / "anchors", "x_A.txt", "   \n\n")
    with pytest.raises(InputError, match=r"x_A\.txt: the essay is empty"):
        RunnerInventory.load(_dataset(tmp_path), RunnerMode.PLAN)


def test_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "anchors").mkdir()
    (tmp_path / "anchors" / "bad_A.txt").write_bytes(b"\xff\xfe\xfa broken")
    with pytest.raises(InputError, match="UTF-8"):
        RunnerInventory.load(_dataset(tmp_path), RunnerMode.PLAN)


def test_corrupt_docx_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "anchors").mkdir()
    (tmp_path / "anchors" / "bad_A.docx").write_bytes(b"not a zip")
    with pytest.raises(InputError, match=r"bad_A\.docx: cannot read"):
        RunnerInventory.load(_dataset(tmp_path), RunnerMode.PLAN)


def test_unknown_grade_label_names_file_and_scale(tmp_path: Path) -> None:
    _write(tmp_path / "anchors", "essay_Q.txt", LONG)
    with pytest.raises(InputError, match=r"essay_Q\.txt: unknown grade 'Q'.*eng5_np_legacy"):
        RunnerInventory.load(_dataset(tmp_path), RunnerMode.PLAN)


def test_grade_outside_legacy_scale_is_rejected_but_full_scale_accepts(tmp_path: Path) -> None:
    _write(tmp_path / "anchors", "essay_B-.txt", LONG)
    with pytest.raises(InputError, match="B-"):
        RunnerInventory.load(_dataset(tmp_path), RunnerMode.PLAN)
    inv = RunnerInventory.load(_dataset(tmp_path, grade_scale="full_16_step"), RunnerMode.PLAN)
    assert inv.anchors[0].grade == "B-"


def test_anchor_without_grade(tmp_path: Path) -> None:
    _write(tmp_path / "anchors", "123.txt", LONG)
    with pytest.raises(InputError, match=r"123\.txt: no grade"):
        RunnerInventory.load(_dataset(tmp_path), RunnerMode.PLAN)


def test_duplicate_essays_are_rejected(tmp_path: Path) -> None:
    _write(tmp_path / "anchors", "one_A.txt", LONG)
    _write(tmp_path / "anchors", "two_B.txt", LONG)
    with pytest.raises(InputError, match="same text"):
        RunnerInventory.load(_dataset(tmp_path), RunnerMode.PLAN)


def test_two_anchors_colliding_on_one_id(tmp_path: Path) -> None:
    _write(tmp_path / "anchors", "C+.txt", LONG + "plus")
    _write(tmp_path / "anchors", "C+.md", LONG + "minus")
    with pytest.raises(InputError, match="share the id 'C\\+'"):
        RunnerInventory.load(_dataset(tmp_path), RunnerMode.PLAN)


def test_csv_anchor_id_used_twice(tmp_path: Path) -> None:
    _write(tmp_path / "anchors", "a_A.txt", LONG + "1")
    _write(tmp_path / "anchors", "b_B.txt", LONG + "2")
    csv = _write(tmp_path, "grades.csv", "anchor_id,file_name,grade\nX,a_A.txt,A\nX,b_B.txt,B\n")
    with pytest.raises(InputError, match="'X' is used twice"):
        RunnerInventory.load(_dataset(tmp_path, grades_file=csv), RunnerMode.PLAN)


def test_upstream_csv_headers_are_understood(tmp_path: Path) -> None:
    _write(tmp_path / "anchors", "first.txt", LONG + "1")
    csv = _write(tmp_path, "g.csv", "ANCHOR-ID,FILE-NAME,GRADE\nANCHOR_7,first.txt,e-\n")
    inv = RunnerInventory.load(_dataset(tmp_path, grades_file=csv), RunnerMode.PLAN)
    assert (inv.anchors[0].label, inv.anchors[0].grade) == ("ANCHOR_7", "E-")


def test_execute_needs_students(tmp_path: Path) -> None:
    _write(tmp_path / "anchors", "a_A.txt", LONG)
    with pytest.raises(InputError, match="students_dir"):
        RunnerInventory.load(_dataset(tmp_path), RunnerMode.EXECUTE)


def test_anchor_align_does_not_need_students(tmp_path: Path) -> None:
    _write(tmp_path / "anchors", "a_A.txt", LONG)
    ds = _dataset(tmp_path, students_dir=tmp_path / "nowhere")
    assert RunnerInventory.load(ds, RunnerMode.ANCHOR_ALIGN_TEST).students == ()


def test_missing_assignment_file(tmp_path: Path) -> None:
    _write(tmp_path / "anchors", "a_A.txt", LONG)
    ds = _dataset(tmp_path, assignment_file=tmp_path / "task.md")
    with pytest.raises(InputError, match=r"assignment_file=.*not found"):
        RunnerInventory.load(ds, RunnerMode.PLAN)


def test_docx_keeps_paragraphs_and_never_splits_words_at_runs(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "e.docx", [["Mobil", "es are ", "use", "ful."], ["Second para."]])
    assert extract_text(path) == "Mobiles are useful.\n\nSecond para."


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "e.pdf", "Phones help students learn")
    assert "Phones help students learn" in extract_text(path)
