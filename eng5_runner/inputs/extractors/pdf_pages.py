""".pdf essays via ``pypdf``, with paragraphs rebuilt from the line positions.

pypdf gives one line per layout line. Lines are joined back into paragraphs; a new
paragraph starts where the gap to the previous line is clearly larger than the usual line
gap, where a line is indented (first-line indent), or after a short line that ends a
sentence; page-number lines are dropped. A PDF with no text layer (a scan) is an
:class:`InputError` naming the file.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eng5_runner.errors import InputError
from eng5_runner.inputs.extractors import Extracted

#: A gap this many times the usual line gap separates paragraphs.
PARAGRAPH_GAP = 1.35
#: An indent of this many font sizes (≈ 0.8 em) starts a paragraph.
INDENT_EM = 0.8
#: A line shorter than this share of the usual line ends its paragraph (if it ends a sentence).
SHORT_LINE = 0.6
#: A line that is only a page number ("3", "- 3 -", "Page 3 of 5", "Sida 3 av 5") is dropped.
PAGE_NUMBER = re.compile(
    r"^(?:-\s*)?(?:(?:page|sida)\s+)?\d{1,4}(?:\s*(?:of|av|/)\s*\d{1,4})?(?:\s*-)?$", re.I
)


@dataclass
class _Line:
    page: int
    x: float | None = None
    y: float | None = None
    size: float = 12.0
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.parts).strip()


def extract_pdf(path: Path) -> Extracted:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    lines: list[_Line] = []
    for number, page in enumerate(reader.pages):
        lines.extend(_page_lines(page, number))
    lines = [line for line in lines if line.text and not PAGE_NUMBER.match(line.text)]
    if not lines:
        raise InputError(
            f"{path}: the PDF has no text layer (a scan or an image)",
            hint="run OCR on it (e.g. ocrmypdf) or export the essay as .docx or text",
        )
    paragraphs = _paragraphs(lines)
    pages = len(reader.pages)
    method = f"pdf (pypdf; {pages} page{'s' if pages != 1 else ''}, {len(paragraphs)} paragraphs)"
    return Extracted(text="\n\n".join(paragraphs), method=method)


def _page_lines(page: Any, number: int) -> list[_Line]:
    """pypdf's lines with the position of their first text fragment."""
    lines = [_Line(page=number)]

    def visit(text: str, cm: list[float], tm: list[float], _font: Any, size: float) -> None:
        pieces = text.split("\n")
        for i, piece in enumerate(pieces):
            if i > 0:
                lines.append(_Line(page=number))
            line = lines[-1]
            if piece.strip() and line.x is None:
                line.x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                line.y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                line.size = abs(size * (tm[3] or 1.0) * (cm[3] or 1.0)) or 12.0
            line.parts.append(piece)

    page.extract_text(visitor_text=visit)
    return lines


def _paragraphs(lines: list[_Line]) -> list[str]:
    gaps = [
        prev.y - line.y
        for prev, line in zip(lines, lines[1:], strict=False)
        if prev.page == line.page
        and prev.y is not None
        and line.y is not None
        and prev.y - line.y > 0
    ]
    usual_gap = sorted(gaps)[len(gaps) // 4] if gaps else None
    left = {
        page: min(line.x for line in lines if line.page == page and line.x is not None)
        for page in {line.page for line in lines if line.x is not None}
    }
    usual_len = statistics.median(len(line.text) for line in lines)
    paragraphs: list[list[str]] = []
    prev: _Line | None = None
    for line in lines:
        if prev is None or _starts_paragraph(prev, line, usual_gap, left, usual_len):
            paragraphs.append([])
        paragraphs[-1].append(line.text)
        prev = line
    return [_join(words) for words in paragraphs]


def _starts_paragraph(
    prev: _Line, line: _Line, usual_gap: float | None, left: dict[int, float], usual_len: float
) -> bool:
    if (
        line.x is not None
        and line.page in left
        and line.x - left[line.page] > INDENT_EM * line.size
    ):
        return True
    if (
        usual_gap is not None
        and prev.page == line.page
        and prev.y is not None
        and line.y is not None
        and prev.y - line.y > PARAGRAPH_GAP * usual_gap
    ):
        return True
    return len(prev.text) < SHORT_LINE * usual_len and prev.text.endswith((".", "!", "?", ":"))


def _join(lines: list[str]) -> str:
    """Join wrapped lines with spaces; a line ending in '-' joins the next without one."""
    text = lines[0]
    for line in lines[1:]:
        text = text + line if text.endswith("-") else f"{text} {line}"
    return text
