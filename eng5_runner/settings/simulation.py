"""Simulation only: apply the ``simulated:`` blocks of prompt options to the simulated judge.

A system prompt or rubric option may carry ``simulated: {noise, position_bias, scale}``.
Only the simulated judge reads it (real judges never see it): the block is merged into
``judge.simulated`` (system prompt first, then rubric), so a prompt sweep with the
simulated judge can show variants that really differ.  The merged values are part of
``judge.generation_params``, hence of every cache key and the run signature, and the
reports label them as simulation.
"""

from __future__ import annotations

from eng5_runner.settings.models import RunnerSettings


def simulated_variant_notes(settings: RunnerSettings) -> tuple[str, ...]:
    """``system_prompt.simulated: noise=2.0`` lines for the blocks that apply."""
    if settings.judge.provider != "simulated":
        return ()
    notes = []
    for key in ("system_prompt", "rubric"):
        block = getattr(settings, key).simulated
        if block is not None and (values := block.model_dump(exclude_none=True)):
            shown = ", ".join(f"{k}={v}" for k, v in values.items())
            notes.append(f"{key}.simulated: {shown}")
    return tuple(notes)


def apply_simulated_variants(settings: RunnerSettings) -> RunnerSettings:
    """``settings`` with the prompt options' ``simulated:`` blocks merged into the judge."""
    if settings.judge.provider != "simulated":
        return settings
    params = settings.judge.simulated
    for prompt in (settings.system_prompt, settings.rubric):
        if prompt.simulated is not None:
            params = params.model_copy(update=prompt.simulated.model_dump(exclude_none=True))
    if params == settings.judge.simulated:
        return settings
    judge = settings.judge.model_copy(update={"simulated": params})
    return settings.model_copy(update={"judge": judge})
