"""Realistic input files made in the tests: grade sheets, Word, PDF, OpenDocument, RTF."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.pdf import assemble_pdf


def pdf_bytes(pages: list[list[tuple[float, float, str]]], *, font: bool = True) -> bytes:
    """A PDF whose pages show text lines at (x, y) in Helvetica 12 pt, written by hand.

    A page with no lines and ``font=False`` is an image-only scan stand-in: no text layer.
    """
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    font_ref = 3
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for lines in pages:
        ops = "".join(
            f"BT /F1 12 Tf {x:.1f} {y:.1f} Td ({_escape(text)}) Tj ET\n" for x, y, text in lines
        )
        if not lines:
            ops = "q 400 0 0 500 100 200 cm 0.5 g 0 0 1 1 re f Q\n"  # a grey box, no text
        stream = ops.encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        content_ref = len(objects)
        resources = b"/Resources << /Font << /F1 %d 0 R >> >>" % font_ref if font else b""
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R %s >>"
            % (content_ref, resources)
        )
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    return assemble_pdf(objects)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def write_pdf_paragraphs(path: Path, paragraphs: list[list[str]], *, indent: bool = False) -> Path:
    """Paragraphs of wrapped lines as Word exports them: 14 pt leading, 10 pt after.

    With ``indent`` the paragraphs have no extra space but a first-line indent instead.
    """
    lines: list[tuple[float, float, str]] = []
    y = 720.0
    for paragraph in paragraphs:
        for i, line in enumerate(paragraph):
            x = 72.0 + (24.0 if indent and i == 0 else 0.0)
            lines.append((x, y, line))
            y -= 14.0
        if not indent:
            y -= 10.0
    path.write_bytes(pdf_bytes([lines]))
    return path


def write_scanned_pdf(path: Path) -> Path:
    """A PDF page with only a filled shape: what a scanner without OCR produces."""
    path.write_bytes(pdf_bytes([[]], font=False))
    return path


def write_xlsx(path: Path, rows: list[list[object]], *, sheet: str = "Blad1") -> Path:
    """An Excel workbook written by openpyxl (first sheet = the grade sheet)."""
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


def write_ods(path: Path, rows: list[list[str]], *, sheet: str = "Blad1") -> Path:
    """A LibreOffice Calc spreadsheet written by odfdo."""
    from odfdo import Document, Row, Table

    document = Document("spreadsheet")
    body = document.body
    body.clear()
    table = Table(sheet)
    for values in rows:
        row = Row()
        row.set_values(values)
        table.append_row(row)
    body.append(table)
    document.save(str(path))
    return path


def write_odt(path: Path, paragraphs: list[str]) -> Path:
    """A LibreOffice Writer document written by odfdo."""
    from odfdo import Document, Paragraph

    document = Document("text")
    body = document.body
    body.clear()
    for text in paragraphs:
        body.append(Paragraph(text))
    document.save(str(path))
    return path


def write_rtf(path: Path, paragraphs: list[str]) -> Path:
    """An RTF file as WordPad writes it (cp1252 escapes for å ä ö)."""

    def escape(text: str) -> str:
        return "".join(ch if ord(ch) < 128 else f"\\'{ord(ch.encode('cp1252')):02x}" for ch in text)

    body = "\n".join(f"\\pard {escape(p)}\\par" for p in paragraphs)
    path.write_bytes(
        ("{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0 Calibri;}}\n" + body + "\n}").encode(
            "ascii"
        )
    )
    return path


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_WPS = "http://schemas.microsoft.com/office/word/2010/wordprocessingShape"
_WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_V = "urn:schemas-microsoft-com:vml"


def write_docx_layout(path: Path, blocks: list[tuple[str, object]]) -> Path:
    """A .docx of ("p", text), ("table", [[cell, …], …]) and ("box", (anchor text, box text)).

    A text box is written as Word does: a DrawingML shape plus a VML fallback copy.
    """
    import docx
    from docx.oxml import parse_xml

    document = docx.Document()
    for kind, content in blocks:
        if kind == "p":
            document.add_paragraph(str(content))
        elif kind == "table":
            rows = content
            assert isinstance(rows, list)
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            for r, values in enumerate(rows):
                for c, value in enumerate(values):
                    table.cell(r, c).text = value
        elif kind == "box":
            assert isinstance(content, tuple)
            anchor_text, box_text = content
            paragraph = document.add_paragraph(anchor_text)
            inner = f"<w:txbxContent><w:p><w:r><w:t>{box_text}</w:t></w:r></w:p></w:txbxContent>"
            run = parse_xml(
                f'<w:r xmlns:w="{_W}" xmlns:mc="{_MC}" xmlns:wps="{_WPS}" xmlns:wp="{_WP}" '
                f'xmlns:a="{_A}" xmlns:v="{_V}"><mc:AlternateContent>'
                f'<mc:Choice Requires="wps"><w:drawing><wp:anchor><a:graphic><a:graphicData '
                f'uri="{_WPS}"><wps:wsp><wps:txbx>{inner}</wps:txbx></wps:wsp></a:graphicData>'
                f"</a:graphic></wp:anchor></w:drawing></mc:Choice>"
                f"<mc:Fallback><w:pict><v:shape><v:textbox>{inner}</v:textbox></v:shape>"
                f"</w:pict></mc:Fallback></mc:AlternateContent></w:r>"
            )
            paragraph._p.append(run)
    document.save(str(path))
    return path
