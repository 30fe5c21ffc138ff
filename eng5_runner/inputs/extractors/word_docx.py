""".docx essays via ``python-docx``: paragraphs, tables and text boxes in reading order.

Runs inside a paragraph are joined without separators (a word split across formatting or
spell-check runs stays one word). Table cells are read row by row, each cell's paragraphs
as paragraphs; a text box follows the paragraph it is anchored in. Word writes each text
box twice (the DrawingML box and a VML fallback); the fallback copy is skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eng5_runner.inputs.extractors import Extracted

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_P, _TBL, _TR, _TC, _SDT, _SDT_CONTENT, _TXBX = (
    f"{_W}p",
    f"{_W}tbl",
    f"{_W}tr",
    f"{_W}tc",
    f"{_W}sdt",
    f"{_W}sdtContent",
    f"{_W}txbxContent",
)


class _Counts:
    def __init__(self) -> None:
        self.tables = 0
        self.text_boxes = 0


def extract_docx(path: Path) -> Extracted:
    import docx  # python-docx; imported lazily to keep start-up fast

    document = docx.Document(str(path))
    out: list[str] = []
    counts = _Counts()
    _walk(document.element.body, document, out, counts)
    extras = [
        f"{n} {what}{'' if n == 1 else 'es' if what == 'text box' else 's'}"
        for n, what in ((counts.tables, "table"), (counts.text_boxes, "text box"))
        if n
    ]
    method = "docx (python-docx" + ("; " + ", ".join(extras) if extras else "") + ")"
    return Extracted(text="\n\n".join(out), method=method)


def _walk(element: Any, parent: Any, out: list[str], counts: _Counts) -> None:
    """Append the text of ``element``'s block children (paragraphs, tables, controls)."""
    from docx.text.paragraph import Paragraph

    for child in element.iterchildren():
        if child.tag == _P:
            text = Paragraph(child, parent).text
            if text.strip():
                out.append(text)
            for box in _own_text_boxes(child):
                counts.text_boxes += 1
                _walk(box, parent, out, counts)
        elif child.tag == _TBL:
            counts.tables += 1
            for row in child.iterchildren(_TR):
                for cell in row.iterchildren(_TC):
                    _walk(cell, parent, out, counts)
        elif child.tag == _SDT:
            for content in child.iterchildren(_SDT_CONTENT):
                _walk(content, parent, out, counts)


def _own_text_boxes(paragraph: Any) -> list[Any]:
    """Text boxes anchored in ``paragraph`` itself (not nested, not VML fallbacks)."""
    boxes = []
    for box in paragraph.iter(_TXBX):
        ancestor = box.getparent()
        nested = False
        while ancestor is not None and ancestor is not paragraph:
            if ancestor.tag in (_TXBX, _MC_FALLBACK):
                nested = True
                break
            ancestor = ancestor.getparent()
        if not nested:
            boxes.append(box)
    return boxes
