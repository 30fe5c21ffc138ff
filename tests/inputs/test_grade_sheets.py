"""Grade sheets as people have them: Swedish Excel CSV, TSV, xlsx, ods, odd headers, encodings."""

from __future__ import annotations

from pathlib import Path

import pytest

from eng5_runner.errors import InputError
from eng5_runner.inputs.grade_sheet import read_grade_sheet
from tests.inputs.corpus import write_ods, write_xlsx


def _rows(path: Path) -> list[tuple[int, str, str | None, str]]:
    sheet = read_grade_sheet(path)
    return [(r.row, r.file_name, r.anchor_id, r.grade) for r in sheet.rows]


def test_swedish_excel_csv_semicolons_and_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "betyg.csv"
    path.write_bytes("Fil;Betyg\r\nÅsa_Öberg.docx;c+\r\nPär.docx;E-\r\n".encode("cp1252"))
    sheet = read_grade_sheet(path)
    assert _rows(path) == [(2, "Åsa_Öberg.docx", None, "C+"), (3, "Pär.docx", None, "E-")]
    assert sheet.describe() == "betyg.csv (CSV, semicolon-separated, cp1252, 2 rows)"


def test_latin1_csv_is_detected_and_named(tmp_path: Path) -> None:
    path = tmp_path / "grades.csv"
    path.write_bytes("file,grade\nJönsson.txt,B\n".encode("latin-1"))
    sheet = read_grade_sheet(path)
    assert sheet.rows[0].file_name == "Jönsson.txt"
    assert sheet.describe() == "grades.csv (CSV, comma-separated, cp1252, 1 row)"


def test_tsv_with_bom_and_filename_grade_header(tmp_path: Path) -> None:
    path = tmp_path / "grades.tsv"
    path.write_text("\ufeffFilename\tGrade\nessay1.pdf\tA\n", encoding="utf-8")
    sheet = read_grade_sheet(path)
    assert sheet.describe() == "grades.tsv (CSV, tab-separated, utf-8-sig, 1 row)"
    assert _rows(path) == [(2, "essay1.pdf", None, "A")]


@pytest.mark.parametrize(
    "header",
    [
        "Filename,Grade",
        "FILE-NAME,GRADE",
        "file_name,betyg",
        "Essay,Grade",
        "Filnamn,BETYG",
        "Fíl,Bétyg",
    ],
)
def test_header_aliases_are_case_and_accent_insensitive(tmp_path: Path, header: str) -> None:
    path = tmp_path / "g.csv"
    path.write_text(f"{header}\nx.docx,A\n", encoding="utf-8")
    assert _rows(path) == [(2, "x.docx", None, "A")]


def test_xlsx_written_by_openpyxl_with_the_grades_on_the_second_sheet(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = write_xlsx(tmp_path / "g.xlsx", [["Klass 9B betyg"]], sheet="Info")
    book = load_workbook(path)
    ws = book.create_sheet("Betyg")
    for row in (
        ["Anchor ID", "Fil", "Betyg"],
        ["ANK_1", "Åsa_Öberg.docx", "C-"],
        [None, None, None],
        ["ANK_2", "b.pdf", "A"],
    ):
        ws.append(row)
    book.save(path)
    sheet = read_grade_sheet(path)
    assert _rows(path) == [(2, "Åsa_Öberg.docx", "ANK_1", "C-"), (4, "b.pdf", "ANK_2", "A")]
    assert sheet.describe() == "g.xlsx (XLSX, sheet 'Betyg', 2 rows)"


def test_ods_from_libreoffice(tmp_path: Path) -> None:
    path = write_ods(tmp_path / "g.ods", [["File", "Grade"], ["a.odt", "e+"]])
    assert _rows(path) == [(2, "a.odt", None, "E+")]
    assert read_grade_sheet(path).format == "ods"


def test_wrong_header_shows_what_was_read_and_what_is_expected(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    path.write_text("Namn;Poäng\nx.docx;12\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_grade_sheet(path)
    assert info.value.one_line() == (
        f"dataset.grades_file={path}: no file-name and grade column in the header "
        "[Namn | Poäng] (read as semicolon-separated) — name the columns e.g. file_name and "
        "grade (file: file, filename, file_name, essay, fil, filnamn, document, uppsats; "
        "grade: grade, betyg, pred_mode_grade, expert_grade, anchor_grade; optional id: "
        "anchor_id, id, anchor, essay_id, ankare)"
    )


def test_utf16_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    path.write_bytes("file\tgrade\nx.docx\tA\n".encode("utf-16"))
    with pytest.raises(InputError) as info:
        read_grade_sheet(path)
    assert info.value.one_line() == (
        f"dataset.grades_file={path}: not UTF-8 or cp1252 text (it looks like UTF-16 or a "
        "binary file) — save it as UTF-8 (Excel: 'CSV UTF-8'; editors: 'UTF-8')"
    )


def test_one_file_listed_twice_names_both_rows(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    path.write_text("file,grade\na.docx,A\nb.docx,B\nA.docx,C+\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_grade_sheet(path)
    assert info.value.one_line() == (
        f"{path}: rows 2 and 4 both list 'A.docx' — keep one row per file"
    )


def test_row_without_grade_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    path.write_text("file,grade\na.docx,\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 2 \('a.docx'\) has no grade"):
        read_grade_sheet(path)


def test_corrupt_spreadsheet_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "g.xlsx"
    path.write_bytes(b"not a zip at all")
    with pytest.raises(InputError, match=r"cannot read the spreadsheet"):
        read_grade_sheet(path)


def test_unsupported_sheet_type(tmp_path: Path) -> None:
    path = tmp_path / "g.numbers"
    path.write_bytes(b"x")
    with pytest.raises(InputError, match=r"unsupported grade sheet type '.numbers'"):
        read_grade_sheet(path)


def test_title_rows_above_the_header_and_excel_sep_line(tmp_path: Path) -> None:
    titled = write_xlsx(
        tmp_path / "t.xlsx",
        [["Betyg VT24, klass 9B"], [], ["Elev", "Filnamn", "Betyg"], ["Åsa", "a.docx", "B"]],
    )
    assert _rows(titled) == [(4, "a.docx", None, "B")]
    sep = tmp_path / "s.csv"
    sep.write_text("sep=;\nfile;grade\nx.docx;C-\n", encoding="utf-8")
    assert _rows(sep) == [(2, "x.docx", None, "C-")]
    assert read_grade_sheet(sep).delimiter == ";"
