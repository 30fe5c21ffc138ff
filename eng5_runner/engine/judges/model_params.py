"""Which generation parameters each model family accepts.

OpenAI (checked against the SDK's ``CompletionCreateParams`` and the model
guides):

- reasoning models (``gpt-5`` and later, except the ``*-chat*`` models, and
  the ``o1``/``o3``/``o4`` series) take ``reasoning_effort``; the ``gpt-5``
  family and later also take ``verbosity``. They refuse ``temperature``,
  except ``gpt-5.1`` and later with ``reasoning_effort=none``.
- other chat models (``gpt-4.1``, ``gpt-4o``, ``gpt-5.2-chat-latest``...) take
  ``temperature`` and no reasoning controls.

Anthropic (API version of the installed SDK): no ``temperature`` at all;
``reasoning_effort`` low..max goes to ``output_config.effort``; extended
thinking is ``thinking={"type": "enabled", "budget_tokens": N}`` with
1024 ≤ N < ``max_tokens``.

A configured value a model refuses is dropped with one warning per run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from eng5_runner.errors import ConfigError
from eng5_runner.settings.models import JudgeSettings

_OPENAI_REASONING = re.compile(r"^(?:gpt-[5-9]|o\d)(?!.*-chat)", re.IGNORECASE)
_GPT5_FAMILY = re.compile(r"^gpt-[5-9](?!.*-chat)", re.IGNORECASE)
_GPT5_TEMPERATURE_WITHOUT_REASONING = re.compile(r"^gpt-(?:5\.[1-9]|[6-9])", re.IGNORECASE)
ANTHROPIC_EFFORTS = ("low", "medium", "high", "xhigh", "max")


@dataclass
class ModelParams:
    """The parameters to send, and what was dropped (one warning each)."""

    fields: dict[str, object] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)


def is_openai_reasoning_model(model: str) -> bool:
    """gpt-5 and later (not the ``-chat`` models) and the o-series."""
    return bool(_OPENAI_REASONING.match(_bare(model)))


def openai_params(settings: JudgeSettings) -> ModelParams:
    """temperature / reasoning_effort / verbosity for an OpenAI model."""
    model = _bare(settings.model)
    params = ModelParams()
    if settings.thinking_budget_tokens is not None:
        params.dropped.append("judge.thinking_budget_tokens (Anthropic only)")
    if is_openai_reasoning_model(model):
        effort = settings.reasoning_effort
        if effort is not None:
            params.fields["reasoning_effort"] = effort
        if settings.output_verbosity is not None:
            if _GPT5_FAMILY.match(model):
                params.fields["verbosity"] = settings.output_verbosity
            else:
                params.dropped.append(f"judge.output_verbosity (not accepted by {model})")
        if settings.temperature is not None:
            if effort == "none" and _GPT5_TEMPERATURE_WITHOUT_REASONING.match(model):
                params.fields["temperature"] = settings.temperature
            else:
                params.dropped.append(
                    f"judge.temperature (refused by the reasoning model {model}"
                    + (" unless reasoning_effort=none)" if _is_gpt5_point(model) else ")")
                )
        return params
    if settings.temperature is not None:
        params.fields["temperature"] = settings.temperature
    for key, value in (
        ("reasoning_effort", settings.reasoning_effort),
        ("output_verbosity", settings.output_verbosity),
    ):
        if value is not None:
            params.dropped.append(f"judge.{key} ({model} is not a reasoning model)")
    return params


def compatible_params(settings: JudgeSettings) -> ModelParams:
    """OpenAI-compatible servers: what is configured (the server's model is unknown)."""
    params = ModelParams()
    if settings.temperature is not None:
        params.fields["temperature"] = settings.temperature
    if settings.reasoning_effort is not None:
        params.fields["reasoning_effort"] = settings.reasoning_effort
    if settings.output_verbosity is not None:
        params.fields["verbosity"] = settings.output_verbosity
    return params


def anthropic_params(settings: JudgeSettings) -> ModelParams:
    """output_config.effort / thinking for a Claude model (never temperature)."""
    params = ModelParams()
    if settings.temperature is not None:
        params.dropped.append("judge.temperature (the Anthropic API no longer takes it)")
    if settings.output_verbosity is not None:
        params.dropped.append("judge.output_verbosity (OpenAI only)")
    effort = settings.reasoning_effort
    if effort is not None:
        if effort in ANTHROPIC_EFFORTS:
            params.fields["effort"] = effort
        else:
            params.dropped.append(
                f"judge.reasoning_effort={effort} (Anthropic takes {', '.join(ANTHROPIC_EFFORTS)})"
            )
    budget = settings.thinking_budget_tokens
    if budget is not None:
        if budget >= settings.max_tokens:
            raise ConfigError(
                f"judge.thinking_budget_tokens={budget} must be below judge.max_tokens="
                f"{settings.max_tokens}",
                hint="raise judge.max_tokens (thinking counts toward it) or lower the budget",
            )
        params.fields["thinking"] = {"type": "enabled", "budget_tokens": budget}
    return params


def _bare(model: str) -> str:
    """``openai/gpt-5.1`` → ``gpt-5.1`` (router-style prefixes)."""
    return model.rsplit("/", 1)[-1].strip()


def _is_gpt5_point(model: str) -> bool:
    return bool(_GPT5_TEMPERATURE_WITHOUT_REASONING.match(model))
