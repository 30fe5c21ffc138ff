"""Make small .docx and .pdf files for tests."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.pdf import assemble_pdf


def write_docx(path: Path, paragraphs: list[list[str]]) -> Path:
    """A .docx whose paragraphs consist of the given runs (as Word splits them)."""
    import docx

    document = docx.Document()
    for runs in paragraphs:
        paragraph = document.add_paragraph()
        for i, run in enumerate(runs):
            paragraph.add_run(run).bold = i % 2 == 1
    document.save(str(path))
    return path


def write_pdf(path: Path, text: str) -> Path:
    """A one-page PDF with ``text`` in Helvetica, written by hand (no extra deps)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    path.write_bytes(assemble_pdf(objects))
    return path
