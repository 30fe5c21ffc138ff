"""OpenDocument text (.odt) essays via ``odfdo``: paragraphs, headings, lists and tables."""

from __future__ import annotations

from pathlib import Path

from eng5_runner.inputs.extractors import Extracted


def extract_odt(path: Path) -> Extracted:
    from odfdo import Document

    document = Document(str(path))
    if document.get_type() != "text":
        raise ValueError(f"an OpenDocument {document.get_type()}, not a text document")
    text = document.get_formatted_text()
    return Extracted(text=text, method="odt (odfdo)")
