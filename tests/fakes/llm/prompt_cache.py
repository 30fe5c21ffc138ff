"""Prompt-cache simulation: which cacheable prefixes the server has seen before."""

from __future__ import annotations

import threading

from tests.fakes.llm.wire import common_prefix_length


class PromptCache:
    """Anthropic: exact prefixes up to the last breakpoint; OpenAI: shared prompt prefixes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached: set[str] = set()
        self._prompts: dict[str, list[str]] = {}

    def breakpoint_lookup(self, key: str, tokens: int, min_tokens: int) -> tuple[int, int]:
        """(cached, written) tokens for a cacheable prefix of ``tokens`` tokens."""
        if tokens < min_tokens or tokens == 0:
            return 0, 0
        with self._lock:
            if key in self._cached:
                return tokens, 0
            self._cached.add(key)
        return 0, tokens

    def shared_prefix(self, key: str, text: str, min_tokens: int) -> int:
        """OpenAI-style: the longest prefix shared with an earlier prompt under ``key``,
        in 128-token steps, once it reaches ``min_tokens``."""
        with self._lock:
            earlier = self._prompts.setdefault(key, [])
            common = max((common_prefix_length(text, e) for e in earlier), default=0)
            earlier.append(text)
            del earlier[:-8]
        tokens = common // 4 // 128 * 128
        return tokens if tokens >= min_tokens else 0
