"""LLM judges: the protocol, the factory, the prompt, and one module per provider."""

from eng5_runner.engine.judges.base import Judge, make_judge
from eng5_runner.engine.judges.prompt import JudgePrompt, prompt_sha256, render_prompt

__all__ = ["Judge", "JudgePrompt", "make_judge", "prompt_sha256", "render_prompt"]
