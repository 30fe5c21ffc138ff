"""Request validation: the SDKs' request TypedDicts plus the model rules the real APIs enforce."""

from __future__ import annotations

import re
from typing import Any

from anthropic.types.message_create_params import MessageCreateParamsNonStreaming
from openai.types.chat.completion_create_params import CompletionCreateParamsNonStreaming
from pydantic import TypeAdapter, ValidationError

_REQUEST_TYPES = {
    "openai": TypeAdapter(CompletionCreateParamsNonStreaming),
    "anthropic": TypeAdapter(MessageCreateParamsNonStreaming),
}
_KNOWN_FIELDS = {
    "openai": set(CompletionCreateParamsNonStreaming.__annotations__),
    "anthropic": set(MessageCreateParamsNonStreaming.__annotations__),
}


_REASONING = re.compile(r"^(?:gpt-[5-9]|o\d)(?!.*-chat)")


def invalid_request(kind: str, body: dict[str, Any]) -> str | None:
    """Why ``body`` is not a valid request of the SDK's request type, or None.

    OpenAI requests are also held to the model rules the real API enforces:
    reasoning models refuse ``temperature`` (gpt-5.1+ accept it with
    ``reasoning_effort=none``) and ``max_tokens``; other models refuse
    ``reasoning_effort`` and ``verbosity``.
    """
    unknown = sorted(set(body) - _KNOWN_FIELDS[kind])
    if unknown:
        return f"unknown request field(s): {', '.join(unknown)}"
    try:
        _REQUEST_TYPES[kind].validate_python(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        return f"invalid request: {'.'.join(map(str, first['loc']))}: {first['msg']}"
    if kind == "openai":
        model = str(body.get("model", ""))
        if _REASONING.match(model):
            no_reasoning = body.get("reasoning_effort") == "none" and re.match(
                r"^gpt-(?:5\.\d|[6-9])", model
            )
            if "temperature" in body and not no_reasoning:
                return f"Unsupported parameter: 'temperature' is not supported with {model}"
            if "max_tokens" in body:
                return (
                    f"Unsupported parameter: 'max_tokens' with {model}; use max_completion_tokens"
                )
            if "verbosity" in body and model.startswith("o"):
                return f"Unsupported parameter: 'verbosity' with {model}"
        else:
            for key in ("reasoning_effort", "verbosity"):
                if key in body:
                    return f"Unrecognized request argument supplied: {key} (model {model})"
    return None
