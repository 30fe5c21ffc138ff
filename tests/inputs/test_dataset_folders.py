"""A researcher's folder as it comes: Word, PDF, OpenDocument, RTF, odd names, stray files."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest

from eng5_runner.errors import InputError
from eng5_runner.inputs.inventory import InventoryError, RunnerInventory
from eng5_runner.inputs.text_extraction import extract
from eng5_runner.settings.models import DatasetSettings, RunnerMode
from tests.inputs.corpus import (
    write_docx_layout,
    write_odt,
    write_pdf_paragraphs,
    write_rtf,
    write_scanned_pdf,
    write_xlsx,
)

WORDS = "Mobile phones in school help pupils find facts quickly and learn more every day"


def _essay_text(n: int) -> str:
    return f"{WORDS} number {n}."


def _folder(tmp_path: Path) -> Path:
    anchors = tmp_path / "anchors"
    anchors.mkdir()
    return anchors


def _load(tmp_path: Path, grades: Path | None, **kw: object) -> RunnerInventory:
    ds = DatasetSettings(anchors_dir=tmp_path / "anchors", grades_file=grades, **kw)  # type: ignore[arg-type]
    return RunnerInventory.load(ds, RunnerMode.PLAN)


def _problem(tmp_path: Path, grades: Path | None, **kw: object) -> str:
    with pytest.raises(InputError) as info:
        _load(tmp_path, grades, **kw)
    return info.value.one_line()


def test_word_and_pdf_essays_with_an_excel_grade_sheet_work_first_time(tmp_path: Path) -> None:
    anchors = _folder(tmp_path)
    write_docx_layout(anchors / "Åsa_Öberg.docx", [("p", _essay_text(1))])
    write_pdf_paragraphs(anchors / "Pär Lind.pdf", [[WORDS, "first paragraph."], ["second one."]])
    write_odt(anchors / "Erik.odt", [_essay_text(3)])
    write_rtf(anchors / "Nora.rtf", [_essay_text(4)])
    sheet = write_xlsx(
        tmp_path / "Betyg.xlsx",
        [
            ["Elev", "Fil", "Betyg"],
            ["Åsa", "Åsa_Öberg.docx", "B"],
            ["Pär", "Pär Lind.pdf", "C+"],
            ["Erik", "Erik.odt", "E-"],
            ["Nora", "Nora", "A"],
        ],
    )
    inv = _load(tmp_path, sheet)
    got = {(a.label, a.grade, (a.method or "").split(" ")[0]) for a in inv.anchors}
    assert got == {
        ("Åsa_Öberg", "B", "docx"),
        ("Pär Lind", "C+", "pdf"),
        ("Erik", "E-", "odt"),
        ("Nora", "A", "rtf"),
    }
    pdf = next(a for a in inv.anchors if a.label == "Pär Lind")
    assert pdf.text == f"{WORDS} first paragraph.\n\nsecond one."
    assert inv.survey.grade_sheet == "Betyg.xlsx (XLSX, 4 rows)"
    assert inv.warnings == ()


def test_nfd_file_names_match_nfc_grade_rows_and_back(tmp_path: Path) -> None:
    anchors = _folder(tmp_path)
    nfd = unicodedata.normalize("NFD", "Åsa_Öberg.docx")
    write_docx_layout(anchors / nfd, [("p", _essay_text(1))])
    (anchors / "Jörgen.txt").write_text(_essay_text(2), encoding="utf-8")
    sheet = tmp_path / "g.csv"
    sheet.write_text(
        f"file,grade\nÅsa_Öberg.docx,A\n{unicodedata.normalize('NFD', 'Jörgen.txt')},B\n",
        encoding="utf-8",
    )
    inv = _load(tmp_path, sheet)
    assert sorted((a.label, a.grade) for a in inv.anchors) == [("Jörgen", "B"), ("Åsa_Öberg", "A")]


def test_anchor_missing_from_the_grades_file_names_it_not_a_guessed_grade(tmp_path: Path) -> None:
    anchors = _folder(tmp_path)
    (anchors / "a.txt").write_text(_essay_text(1), encoding="utf-8")
    (anchors / "essay_EK.txt").write_text(_essay_text(2), encoding="utf-8")
    sheet = tmp_path / "g.csv"
    sheet.write_text("file,grade\na.txt,A\n", encoding="utf-8")
    assert _problem(tmp_path, sheet) == (
        f"{anchors / 'essay_EK.txt'}: not in the grades file {sheet} — add a row for "
        "'essay_EK.txt' with its grade, or move the file out of the anchors directory"
    )


def test_grade_rows_without_files_are_an_error_or_a_warning(tmp_path: Path) -> None:
    anchors = _folder(tmp_path)
    (anchors / "a.txt").write_text(_essay_text(1), encoding="utf-8")
    sheet = tmp_path / "g.csv"
    sheet.write_text("file,grade\na.txt,A\nghost.docx,B\nmissing,C+\n", encoding="utf-8")
    message = (
        f"{sheet}: 2 grade row(s) match no essay file in {anchors}: row 3 'ghost.docx', "
        "row 4 'missing'"
    )
    assert _problem(tmp_path, sheet) == (
        f"{message} — fix the file names or add the files, or set "
        "dataset.allow_unmatched_grades=true to ignore these rows"
    )
    inv = _load(tmp_path, sheet, allow_unmatched_grades=True)
    assert inv.warnings == (f"{message} (ignored: dataset.allow_unmatched_grades=true)",)
    assert [r.file_name for r in inv.survey.unmatched_grade_rows] == ["ghost.docx", "missing"]


def test_doc_file_is_skipped_with_a_hint_and_its_grade_row_explains(tmp_path: Path) -> None:
    anchors = _folder(tmp_path)
    (anchors / "a.txt").write_text(_essay_text(1), encoding="utf-8")
    (anchors / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    hint = "Word 97-2003 .doc is not read: save it as .docx (File > Save As > Word Document)"
    inv = _load(tmp_path, None, allow_unmatched_grades=True)
    assert inv.warnings == (f"1 file(s) skipped in {anchors}: old.doc ({hint})",)
    sheet = tmp_path / "g.csv"
    sheet.write_text("file,grade\na.txt,A\nold.doc,B\n", encoding="utf-8")
    assert _problem(tmp_path, sheet).startswith(
        f"{sheet}: 1 grade row(s) match no essay file in {anchors}: row 3 'old.doc' "
        f"(old.doc: {hint})"
    )


def test_fifo_symlink_loop_and_directory_named_txt_are_listed(tmp_path: Path) -> None:
    anchors = _folder(tmp_path)
    (anchors / "e_A.txt").write_text(_essay_text(1), encoding="utf-8")
    os.mkfifo(anchors / "pipe_B.txt")
    (anchors / "loop_C+.txt").symlink_to(anchors / "loop_C+.txt")
    (anchors / "folder_D+.txt").mkdir()
    (anchors / "~$e_A.docx").write_bytes(b"lock")
    inv = _load(tmp_path, None)
    assert [a.label for a in inv.anchors] == ["e_A"]
    assert inv.warnings == (
        f"3 file(s) skipped in {anchors}: folder_D+.txt (a directory (sub-directories are not "
        "searched)); loop_C+.txt (symbolic link loop); pipe_B.txt (a named pipe (FIFO), not a "
        "regular file)",
    )
    skipped = {f.path.name: f.note for f in inv.survey.files if f.status == "skipped"}
    assert skipped["~$e_A.docx"] == "Word lock file"


def test_scanned_pdf_is_a_clear_error_naming_the_file(tmp_path: Path) -> None:
    anchors = _folder(tmp_path)
    scan = write_scanned_pdf(anchors / "scan_B.pdf")
    assert _problem(tmp_path, None) == (
        f"{scan}: the PDF has no text layer (a scan or an image) — run OCR on it (e.g. "
        "ocrmypdf) or export the essay as .docx or text"
    )


def test_every_problem_is_collected_for_the_plan(tmp_path: Path) -> None:
    anchors = _folder(tmp_path)
    write_scanned_pdf(anchors / "scan_B.pdf")
    (anchors / "one_A.txt").write_text(_essay_text(1), encoding="utf-8")
    (anchors / "two_A.txt").write_text(_essay_text(1), encoding="utf-8")
    with pytest.raises(InventoryError) as info:
        _load(tmp_path, None)
    assert len(info.value.problems) == 2
    assert "1 more input problem(s): listed above" in info.value.one_line()  # plan shows them
    with pytest.raises(InventoryError) as judging:
        RunnerInventory.load(DatasetSettings(anchors_dir=anchors), RunnerMode.ANCHOR_ALIGN_TEST)
    assert "1 more input problem(s): mode=plan lists them all" in judging.value.one_line()
    survey = info.value.survey
    assert survey.duplicates == ((str(anchors / "one_A.txt"), str(anchors / "two_A.txt")),)
    assert {f.path.name: f.status for f in survey.files} == {
        "one_A.txt": "ok",
        "two_A.txt": "ok",
        "scan_B.pdf": "problem",
    }


def test_docx_tables_and_text_boxes_are_read_in_order(tmp_path: Path) -> None:
    path = write_docx_layout(
        tmp_path / "e.docx",
        [
            ("p", "Title line."),
            ("table", [["Name", "Åsa"], ["Essay", "Phones help us learn."]]),
            ("box", ("Before the box.", "Inside the box.")),
            ("p", "Last words."),
        ],
    )
    got = extract(path)
    assert got.text == (
        "Title line.\n\nName\n\nÅsa\n\nEssay\n\nPhones help us learn.\n\nBefore the box."
        "\n\nInside the box.\n\nLast words."
    )
    assert got.method == "docx (python-docx; 1 table, 1 text box)"


def test_pdf_paragraphs_are_rebuilt_from_gaps_and_indents(tmp_path: Path) -> None:
    paragraphs = [
        ["Phones are useful in school", "because they help us learn."],
        ["Teachers disagree with this", "for many reasons, they say."],
    ]
    expected = (
        "Phones are useful in school because they help us learn.\n\nTeachers disagree "
        "with this for many reasons, they say."
    )
    spaced = write_pdf_paragraphs(tmp_path / "spaced.pdf", paragraphs)
    indented = write_pdf_paragraphs(tmp_path / "indented.pdf", paragraphs, indent=True)
    assert extract(spaced).text == expected
    assert extract(indented).text == expected


def test_cp1252_text_essay_is_read_and_named(tmp_path: Path) -> None:
    path = tmp_path / "e.txt"
    path.write_bytes("Jag tycker att mobiler är bra.".encode("cp1252"))
    got = extract(path)
    assert (got.text, got.method) == ("Jag tycker att mobiler är bra.", "text (cp1252)")


def test_one_file_graded_by_two_rows_names_both_rows(tmp_path: Path) -> None:
    anchors = _folder(tmp_path)
    write_docx_layout(anchors / "essay1.docx", [("p", _essay_text(1))])
    sheet = tmp_path / "g.csv"
    sheet.write_text("file,grade\nessay1,A\nessay1.docx,B\n", encoding="utf-8")
    assert _problem(tmp_path, sheet) == (
        f"{sheet}: rows 2 ('essay1') and 3 ('essay1.docx') both grade essay1.docx — keep one "
        "row per file"
    )


def test_a_stem_matching_two_files_asks_for_the_extension(tmp_path: Path) -> None:
    anchors = _folder(tmp_path)
    (anchors / "e.txt").write_text(_essay_text(1), encoding="utf-8")
    write_docx_layout(anchors / "e.docx", [("p", _essay_text(2))])
    sheet = tmp_path / "g.csv"
    sheet.write_text("file,grade\ne,A\n", encoding="utf-8")
    assert _problem(tmp_path, sheet).startswith(
        f"{sheet}: row 2 'e' matches 2 files (e.docx, e.txt) — write the file name with its "
        "extension"
    )


def test_pdf_paragraph_across_pages_drops_the_page_numbers(tmp_path: Path) -> None:
    from tests.inputs.corpus import pdf_bytes

    page1 = [
        (72.0, 720.0, "Phones are useful in school"),
        (72.0, 706.0, "because they help"),
        (300.0, 40.0, "Sida 1 av 2"),
    ]
    page2 = [(72.0, 720.0, "us learn new things."), (300.0, 40.0, "2")]
    path = tmp_path / "two.pdf"
    path.write_bytes(pdf_bytes([page1, page2]))
    assert (
        extract(path).text == "Phones are useful in school because they help us learn new things."
    )


def test_grade_sheet_and_task_inside_the_essay_folder_are_not_essays(tmp_path: Path) -> None:
    anchors = _folder(tmp_path)
    (anchors / "a.txt").write_text(_essay_text(1), encoding="utf-8")
    (anchors / "uppgift.md").write_text("Write about phones.", encoding="utf-8")
    (anchors / "gamla_betyg.xlsx").write_bytes(b"PK")
    sheet = anchors / "betyg.csv"
    sheet.write_text("file,grade\na.txt,A\n", encoding="utf-8")
    inv = _load(tmp_path, sheet, assignment_file=anchors / "uppgift.md")
    assert [a.label for a in inv.anchors] == ["a"]
    assert inv.assignment_text == "Write about phones."
    assert inv.warnings == (
        f"1 file(s) skipped in {anchors}: gamla_betyg.xlsx (not an essay; if it holds the "
        "grades, set dataset.grades_file=<this file>)",
    )
