"""Realistic input files made in the tests: grade sheets, Word, PDF, OpenDocument, RTF."""

from __future__ import annotations

from pathlib import Path


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
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


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
