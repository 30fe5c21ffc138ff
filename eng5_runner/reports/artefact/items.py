"""Fast checks for the artefact's per-item arrays (comparisons, requests, essays, BT rows).

jsonschema walks every item of every array in Python (≈0.3 ms per record): minutes
for national-scale runs.  :func:`validate_artefact` therefore checks the document's
structure with jsonschema with these arrays set aside, and each array here with a
pydantic model that mirrors its ``$defs`` entry in ``artefact.schema.json`` exactly
(pydantic-core validates a list in compiled code, ≈100× faster).  The mirror is
tested against the schema item by item (tests/reports/test_artefact_lean.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

__all__ = ["FAST_ARRAYS", "check_items"]

Text = Annotated[str, Field(strict=True)]
NonEmpty = Annotated[str, Field(strict=True, min_length=1)]
Count = Annotated[int, Field(strict=True, ge=0)]
Number = Annotated[float, Field(allow_inf_nan=False)]
Hex64 = Annotated[str, Field(strict=True, pattern=r"^[0-9a-f]{64}$")]


class _Item(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class _Open(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")


class Comparison(_Open):
    """``$defs/comparison``: a judgement record; later fields are allowed."""

    comparison_id: NonEmpty
    essay_a_id: NonEmpty
    essay_b_id: NonEmpty
    iteration: Count
    status: Literal["succeeded", "failed"]
    winner: Literal["A", "B"] | None = None
    winner_id: Text | None = None
    loser_id: Text | None = None
    confidence: Annotated[float, Field(ge=1, le=5)] | None = None
    justification: Text | None = None
    failure_reason: Text | None = None
    provider: Text
    model: Text
    prompt_tokens: Count
    completion_tokens: Count
    cost_usd: Annotated[float, Field(ge=0)]
    cached: bool = False
    prompt_sha256: Hex64 | None = None

    @model_validator(mode="after")
    def _winner_when_succeeded(self) -> Comparison:
        if self.status == "succeeded" and self.winner is None:
            raise ValueError("a succeeded comparison needs winner 'A' or 'B'")
        return self


class Request(_Open):
    """``$defs/request``: one scheduled comparison."""

    comparison_id: NonEmpty
    a_id: NonEmpty
    b_id: NonEmpty
    iteration: Count


class EssayEntry(_Item):
    """``$defs/essay``: an input essay with its checksum."""

    essay_id: Annotated[str, Field(strict=True, pattern=r"^[A-Za-z0-9_:.-]{1,36}$")]
    label: Text
    grade: Text | None
    file_name: Text
    source_path: Text
    sha256: Hex64 | None
    words: Count


class BtEntry(_Item):
    """``$defs/bt_entry``: one essay's Bradley–Terry score."""

    essay_id: Text
    label: Text
    grade: Text | None
    is_anchor: bool
    theta: Number | None
    standard_error: Annotated[float, Field(ge=0)] | None
    ci_low: Number | None
    ci_high: Number | None
    rank: Annotated[int, Field(strict=True, ge=1)] | None
    expected_rank: Annotated[int, Field(strict=True, ge=1)] | None
    wins: Count
    losses: Count
    comparison_count: Count


class PublishedScore(_Open):
    """``cj_published_scores`` items: at least the essay id."""

    essay_id: Text


PairWins = tuple[Count, Count, Annotated[int, Field(strict=True, ge=1)]]
"""``analysis.pair_wins`` items: (winner index, loser index, wins)."""

#: JSON path of each array checked here → the type of its items.
FAST_ARRAYS: dict[tuple[str, ...], Any] = {
    ("comparisons",): Comparison,
    ("requests",): Request,
    ("inputs", "anchors"): EssayEntry,
    ("inputs", "students"): EssayEntry,
    ("bt_summary",): BtEntry,
    ("cj_published_scores",): PublishedScore,
    ("analysis", "pair_wins"): PairWins,
}


@cache
def _adapter(item: Any) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[item])


def check_items(path: Sequence[str], items: Sequence[Any]) -> tuple[tuple[object, ...], str] | None:
    """``(JSON path, reason)`` of the first bad item of the array at ``path``, else None."""
    try:
        _adapter(FAST_ARRAYS[tuple(path)]).validate_python(items)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        loc = tuple(part for part in first["loc"] if not _is_wrapper(part))
        return (*path, *loc), str(first["msg"])
    return None


def _is_wrapper(part: object) -> bool:
    """pydantic adds tags such as ``str`` or ``function-after[...]`` to union locations."""
    return isinstance(part, str) and (part in {"str", "float", "int", "bool"} or "[" in part)
