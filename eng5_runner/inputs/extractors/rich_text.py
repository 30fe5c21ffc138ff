"""RTF essays via ``striprtf`` (control words dropped, paragraphs kept)."""

from __future__ import annotations

from pathlib import Path

from eng5_runner.inputs.extractors import Extracted


def extract_rtf(path: Path) -> Extracted:
    from striprtf.striprtf import rtf_to_text

    # RTF is 7-bit ASCII with \'xx and \uN escapes; cp1252 is the default code page.
    raw = path.read_bytes().decode("cp1252", errors="replace")
    if not raw.lstrip().startswith("{\\rtf"):
        raise ValueError("not an RTF document (no {\\rtf header)")
    text = rtf_to_text(raw, errors="replace")
    # Each \par ends a paragraph: separate them by blank lines like the other formats.
    return Extracted(text=text.replace("\n", "\n\n"), method="rtf (striprtf)")
