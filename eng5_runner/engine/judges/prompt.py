"""The text a judge sees: system prompt, rubric, optional task, two essays.

The static part comes first (system prompt, then the task and the rubric at
the start of the user message, :attr:`JudgePrompt.prefix`), so providers can
serve it from their prompt cache; only the essays differ between comparisons.

Essays are shown only as "Essay A" and "Essay B": no essay id, label or file
name ever reaches the judge (upstream leaked grades through ids like ``A1``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

PROMPT_TEMPLATE = "eng5-cj-v1"
"""Version of the layout below; part of the cache key, so bump it on any change."""

ANSWER_INSTRUCTIONS = (
    "Decide which essay is better according to the rubric. Answer with a JSON object "
    "with exactly these keys:\n"
    '- "winner": "A" if Essay A is better, "B" if Essay B is better;\n'
    '- "justification": why, in at most 50 words;\n'
    '- "confidence": an integer from 1 (a guess) to 5 (certain).'
)


@dataclass(frozen=True, slots=True)
class JudgePrompt:
    """A rendered comparison prompt: the system message and the user message."""

    system: str
    user: str
    prefix: str = ""
    """The start of ``user`` shared by every comparison (assignment, rubric): cacheable."""

    @property
    def dynamic(self) -> str:
        """The rest of ``user`` after :attr:`prefix` (the essays and the instructions)."""
        return self.user[len(self.prefix) :] if self.user.startswith(self.prefix) else self.user

    @property
    def sha256(self) -> str:
        """Hash of exactly what is sent (system and user text)."""
        return prompt_sha256(self)


def render_prompt(
    system_prompt: str,
    rubric: str,
    assignment_text: str | None,
    essay_a_text: str,
    essay_b_text: str,
) -> JudgePrompt:
    """Build the user message from blocks separated by blank lines."""
    blocks: list[str] = []
    if assignment_text and assignment_text.strip():
        blocks.append(f"**Student assignment:**\n{assignment_text.strip()}")
    blocks.append(f"**Assessment rubric:**\n{rubric.strip()}")
    prefix = "\n\n".join(blocks) + "\n\n"
    blocks.append(f"**Essay A:**\n{essay_a_text.strip()}")
    blocks.append(f"**Essay B:**\n{essay_b_text.strip()}")
    blocks.append(ANSWER_INSTRUCTIONS)
    return JudgePrompt(system=system_prompt.strip(), user="\n\n".join(blocks), prefix=prefix)


def prompt_sha256(prompt: JudgePrompt) -> str:
    """sha256 of the system and user text, separated by a NUL byte."""
    digest = hashlib.sha256(prompt.system.encode())
    digest.update(b"\0")
    digest.update(prompt.user.encode())
    return digest.hexdigest()
