"""Size limits on what reaches the judge: an oversized essay is a clear input error.

A judge prompt holds two essays; one essay of hundreds of thousands of
characters (a whole book pasted by mistake, a PDF extracted with its
appendices) would be sent, paid for and truncated by the provider without a
word. ``dataset.max_essay_chars`` (default 100 000 ≈ 25 000 tokens) stops
that before any call.
"""

from __future__ import annotations

from eng5_runner.errors import InputError
from eng5_runner.inputs.inventory import RunnerInventory


def check_essay_sizes(inventory: RunnerInventory, max_chars: int) -> None:
    """Raise InputError naming every essay longer than ``max_chars`` characters."""
    too_long = [e for e in inventory.essays if len(e.text) > max_chars]
    if not too_long:
        return
    shown = ", ".join(f"{e.source.path} ({len(e.text):,} characters)" for e in too_long[:3])
    more = f" and {len(too_long) - 3} more" if len(too_long) > 3 else ""
    raise InputError(
        f"essay too long for dataset.max_essay_chars={max_chars:,}: {shown}{more}",
        hint="check the file (a whole document pasted by mistake?), or raise "
        "dataset.max_essay_chars",
    )
