"""Hand-written PDF files for tests (no extra dependency): the file layout around the objects."""

from __future__ import annotations

from collections.abc import Sequence


def assemble_pdf(objects: Sequence[bytes]) -> bytes:
    """A PDF 1.4 file of ``objects`` (numbered from 1; object 1 is the catalog) with its xref."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
