"""Anthropic Messages answers, built with the SDK's own ``Message`` model."""

from __future__ import annotations

import json
from typing import Any

from anthropic.types import Message, TextBlock, ToolUseBlock
from anthropic.types import Usage as AnthropicUsage
from anthropic.types.output_tokens_details import OutputTokensDetails

from tests.fakes.llm.faults import Answer


def anthropic_prefix(body: dict[str, Any]) -> tuple[str, str]:
    """The text up to and including the last block with ``cache_control``, and its key."""
    blocks: list[dict[str, Any]] = []
    system = body.get("system")
    if isinstance(system, list):
        blocks.extend(system)
    for message in body.get("messages", []):
        if isinstance(message.get("content"), list):
            blocks.extend(message["content"])
    last = max((i for i, b in enumerate(blocks) if b.get("cache_control")), default=-1)
    text = "".join(str(b.get("text", "")) for b in blocks[: last + 1])
    return text, f"{body.get('model')}|{text}"


def anthropic_message(
    body: dict[str, Any],
    answer: Answer,
    request_id: str,
    *,
    total: int,
    cached: int,
    written: int,
    output: int,
    reasoning_tokens: int,
) -> str:
    """The JSON body: a tool_use block with tools, else a JSON (or fenced) text block."""
    block: TextBlock | ToolUseBlock
    if body.get("tools"):
        block = ToolUseBlock(type="tool_use", id="toolu_1", name="comparison_result", input=answer)
    elif body.get("output_config", {}).get("format"):
        block = TextBlock(type="text", text=json.dumps(answer))
    else:
        block = TextBlock(type="text", text=f"My verdict:\n```json\n{json.dumps(answer)}\n```")
    message = Message(
        id=f"msg_{request_id}",
        type="message",
        role="assistant",
        model=f"{body.get('model')}-20250101",
        content=[block],
        stop_reason="tool_use" if body.get("tools") else "end_turn",
        stop_sequence=None,
        usage=AnthropicUsage(
            input_tokens=total - cached - written,
            output_tokens=output,
            cache_read_input_tokens=cached,
            cache_creation_input_tokens=written,
            output_tokens_details=OutputTokensDetails(thinking_tokens=reasoning_tokens),
        ),
    )
    return message.model_dump_json()
