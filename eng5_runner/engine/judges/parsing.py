"""The answer schema and its validation, shared by every provider.

Providers hand over what the model produced (a decoded JSON object, or free
text); a :class:`ParsedAnswer` comes back or ``ProviderResponseError(malformed=True)``
naming what was wrong, so the scheduler can re-ask once and then record it.
"""

from __future__ import annotations

import json
from typing import Any, Literal, NamedTuple

from eng5_runner.errors import ProviderResponseError

ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "winner": {"type": "string", "enum": ["A", "B"]},
        "justification": {"type": "string"},
        "confidence": {"type": "integer", "enum": [1, 2, 3, 4, 5]},
    },
    "required": ["winner", "justification", "confidence"],
    "additionalProperties": False,
}
"""JSON schema of an answer (OpenAI strict mode and Anthropic tool input)."""

SCHEMA_NAME = "comparison_result"
_WINNERS = {"A": "A", "B": "B", "ESSAY A": "A", "ESSAY B": "B"}


class ParsedAnswer(NamedTuple):
    """A validated answer."""

    winner: Literal["A", "B"]
    confidence: int
    justification: str


def malformed(reason: str) -> ProviderResponseError:
    """The error for an answer that does not fit the schema."""
    return ProviderResponseError(f"malformed answer: {reason}", malformed=True)


def parse_answer(obj: object) -> ParsedAnswer:
    """Validate a decoded answer object; tolerate ``"Essay A"`` and ``"4"``."""
    if not isinstance(obj, dict):
        raise malformed(f"expected a JSON object, got {type(obj).__name__}")
    raw_winner = obj.get("winner")
    winner = _WINNERS.get(raw_winner.strip().upper()) if isinstance(raw_winner, str) else None
    if winner is None:
        raise malformed(f"winner must be 'A' or 'B', got {_short(raw_winner)}")
    confidence = _confidence(obj.get("confidence"))
    justification = obj.get("justification")
    if not isinstance(justification, str):
        raise malformed(f"justification must be a string, got {_short(justification)}")
    return ParsedAnswer(winner, confidence, justification.strip())  # type: ignore[arg-type]


def parse_answer_json(text: str) -> ParsedAnswer:
    """Parse a message that should be exactly one JSON answer object."""
    try:
        obj = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        raise malformed(f"not JSON: {_short(text)}") from None
    return parse_answer(obj)


def parse_answer_text(text: str) -> ParsedAnswer:
    """Parse free text: the first JSON object in it (code fences allowed)."""
    obj = extract_json_object(text)
    if obj is None:
        raise malformed(f"no JSON object in the answer: {_short(text)}")
    return parse_answer(obj)


def extract_json_object(text: str) -> dict[str, Any] | None:
    """The first decodable ``{...}`` object in ``text``, else None."""
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start != -1:
        try:
            obj, _ = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            start = text.find("{", start + 1)
            continue
        if isinstance(obj, dict):
            return obj
        start = text.find("{", start + 1)
    return None


def as_dict(value: object) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty dict."""
    return value if isinstance(value, dict) else {}


def as_int(value: object) -> int:
    """``value`` if it is an integer token count, else 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _confidence(value: object) -> int:
    number: float | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is None or not number.is_integer() or not 1 <= number <= 5:
        raise malformed(f"confidence must be an integer 1-5, got {_short(value)}")
    return int(number)


def _short(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
