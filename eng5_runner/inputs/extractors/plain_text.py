"""Plain text and Markdown essays: UTF-8 (with or without BOM) or cp1252."""

from __future__ import annotations

from pathlib import Path

from eng5_runner.inputs.extractors import Extracted
from eng5_runner.inputs.text_encoding import decode_text


def extract_plain(path: Path) -> Extracted:
    text, encoding = decode_text(path.read_bytes(), str(path))
    return Extracted(text=text, method=f"text ({encoding})")
