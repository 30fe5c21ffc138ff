"""One text extractor per essay file format; :func:`extract` picks by suffix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict


class Extracted(BaseModel):
    """An essay's raw text and how it was read (shown in the plan)."""

    model_config = ConfigDict(frozen=True)

    text: str
    method: str
    """e.g. ``text (utf-8)``, ``docx (python-docx; 2 tables)``, ``pdf (pypdf; 3 pages)``."""


def _plain(path: Path) -> Extracted:
    from eng5_runner.inputs.extractors.plain_text import extract_plain

    return extract_plain(path)


def _docx(path: Path) -> Extracted:
    from eng5_runner.inputs.extractors.word_docx import extract_docx

    return extract_docx(path)


def _pdf(path: Path) -> Extracted:
    from eng5_runner.inputs.extractors.pdf_pages import extract_pdf

    return extract_pdf(path)


def _odt(path: Path) -> Extracted:
    from eng5_runner.inputs.extractors.open_document import extract_odt

    return extract_odt(path)


def _rtf(path: Path) -> Extracted:
    from eng5_runner.inputs.extractors.rich_text import extract_rtf

    return extract_rtf(path)


#: Suffix → extractor; the libraries are imported only when a file of that type is read.
EXTRACTORS: dict[str, Callable[[Path], Extracted]] = {
    ".txt": _plain,
    ".md": _plain,
    ".docx": _docx,
    ".pdf": _pdf,
    ".odt": _odt,
    ".rtf": _rtf,
}
