"""Essay text from .txt, .md, .docx and .pdf files."""

from __future__ import annotations

from pathlib import Path

from eng5_runner.errors import InputError

SUPPORTED_SUFFIXES = (".txt", ".md", ".docx", ".pdf")


def extract_text(path: Path) -> str:
    """Return the text of ``path``, paragraphs separated by blank lines.

    ``.docx`` keeps Word paragraphs whole: runs inside a paragraph are joined
    without separators, so a word split across formatting or spell-check runs
    stays one word.
    """
    suffix = path.suffix.lower()
    try:
        if suffix in (".txt", ".md"):
            text = path.read_text(encoding="utf-8-sig")
        elif suffix == ".docx":
            text = _docx_text(path)
        elif suffix == ".pdf":
            text = _pdf_text(path)
        else:
            raise InputError(
                f"{path}: unsupported file type '{suffix}'",
                hint=f"use one of {', '.join(SUPPORTED_SUFFIXES)}",
            )
    except InputError:
        raise
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text", hint="save the file as UTF-8") from None
    except Exception as exc:  # corrupt docx/pdf: a user's file problem, not a bug
        raise InputError(f"{path}: cannot read the file ({type(exc).__name__}: {exc})") from None
    return normalise_text(text)


def normalise_text(text: str) -> str:
    """Unify newlines, strip trailing spaces, collapse runs of blank lines."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    return "\n".join(out).strip()


def _docx_text(path: Path) -> str:
    import docx  # python-docx; imported lazily to keep start-up fast

    document = docx.Document(str(path))
    return "\n\n".join(p.text for p in document.paragraphs if p.text.strip())


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    return "\n\n".join((page.extract_text() or "") for page in reader.pages)
