"""OpenAI Chat Completions answers, built with the SDK's own ``ChatCompletion`` model."""

from __future__ import annotations

import json
import time
from typing import Any

from openai.types.chat import ChatCompletion, ChatCompletionMessage
from openai.types.chat.chat_completion import Choice
from openai.types.completion_usage import (
    CompletionTokensDetails,
    CompletionUsage,
    PromptTokensDetails,
)

from tests.fakes.llm.faults import Answer
from tests.fakes.llm.wire import message_text


def openai_prompt_text(body: dict[str, Any]) -> str:
    """The concatenated message text whose prefix OpenAI caches."""
    return "".join(message_text(m.get("content")) for m in body["messages"])


def openai_completion(
    body: dict[str, Any],
    answer: Answer,
    request_id: str,
    *,
    prompt_tokens: int,
    cached: int,
    output: int,
    reasoning_tokens: int,
) -> str:
    """The JSON body: the answer as JSON (fenced in prose without ``response_format``)."""
    text = json.dumps(answer)
    if "response_format" not in body:
        text = f"Here is my verdict.\n```json\n{text}\n```"
    completion = ChatCompletion(
        id=f"chatcmpl-{request_id}",
        object="chat.completion",
        created=int(time.time()),
        model=f"{body.get('model')}-2025-01-01",
        choices=[
            Choice(
                index=0,
                finish_reason="stop",
                message=ChatCompletionMessage(role="assistant", content=text),
            )
        ],
        usage=CompletionUsage(
            prompt_tokens=prompt_tokens,
            completion_tokens=output,
            total_tokens=prompt_tokens + output,
            prompt_tokens_details=PromptTokensDetails(cached_tokens=cached),
            completion_tokens_details=CompletionTokensDetails(reasoning_tokens=reasoning_tokens),
        ),
    )
    return completion.model_dump_json()
