"""Essay text from .txt, .md, .docx, .pdf, .odt and .rtf files (one extractor per format)."""

from __future__ import annotations

from pathlib import Path

from eng5_runner.errors import InputError
from eng5_runner.inputs.extractors import EXTRACTORS, Extracted

SUPPORTED_SUFFIXES = tuple(EXTRACTORS)


def extract_text(path: Path) -> str:
    """Return the text of ``path``, paragraphs separated by blank lines."""
    return extract(path).text


def extract(path: Path) -> Extracted:
    """The normalised text of ``path`` and how it was read; InputError names the file."""
    suffix = path.suffix.lower()
    extractor = EXTRACTORS.get(suffix)
    if extractor is None:
        raise InputError(
            f"{path}: unsupported file type '{suffix}'",
            hint=f"use one of {', '.join(SUPPORTED_SUFFIXES)}",
        )
    try:
        extracted = extractor(path)
    except InputError:
        raise
    except Exception as exc:  # corrupt docx/pdf/odt: a user's file problem, not a bug
        raise InputError(f"{path}: cannot read the file ({type(exc).__name__}: {exc})") from None
    return extracted.model_copy(update={"text": normalise_text(extracted.text)})


def normalise_text(text: str) -> str:
    """Unify newlines, strip trailing spaces, collapse runs of blank lines."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    return "\n".join(out).strip()
