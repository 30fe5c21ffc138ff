"""Decode text files as people save them: UTF-8 (with or without BOM) or Windows cp1252."""

from __future__ import annotations

from typing import Literal

from eng5_runner.errors import InputError

TextEncoding = Literal["utf-8", "utf-8-sig", "cp1252"]

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def decode_text(data: bytes, where: str) -> tuple[str, TextEncoding]:
    """``(text, encoding)``; UTF-8 first, then cp1252 (a superset of printable Latin-1).

    Anything else (UTF-16, binary) is an :class:`InputError` naming ``where``.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    elif data.startswith(_UTF16_BOMS) or b"\x00" in data:
        raise InputError(
            f"{where}: not UTF-8 or cp1252 text (it looks like UTF-16 or a binary file)",
            hint="save it as UTF-8 (Excel: 'CSV UTF-8'; editors: 'UTF-8')",
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        raise InputError(
            f"{where}: not UTF-8 or cp1252 text",
            hint="save it as UTF-8 (Excel: 'CSV UTF-8'; editors: 'UTF-8')",
        ) from None
