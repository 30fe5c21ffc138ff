"""'Did you mean …' for config keys, group options and modes (difflib over the real names)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

from pydantic import BaseModel

from eng5_runner.errors import ConfigError
from eng5_runner.settings.models import RunnerSettings

#: Top-level keys of the composed config that are not settings (Hydra's, bookkeeping).
NON_SETTINGS_KEYS = frozenset({"hydra", "paths", "run_name", "local"})


def close_match(word: str, options: Iterable[str]) -> str | None:
    """The option closest to ``word`` (case-insensitive first), or None if none is close."""
    choices = list(options)
    folded = {option.casefold(): option for option in choices}
    if word.casefold() in folded:
        return folded[word.casefold()]
    found = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not found:
        found = difflib.get_close_matches(word.casefold(), list(folded), n=1, cutoff=0.6)
        return folded[found[0]] if found else None
    return found[0]


def did_you_mean(word: str, options: Iterable[str], *, prefix: str = "") -> str:
    """``did you mean judge.temperature?`` or an empty string."""
    match = close_match(word, options)
    return f"did you mean {prefix}{match}?" if match is not None else ""


def unknown_key(dotted: str) -> tuple[str, list[str]] | None:
    """If ``dotted`` is not a settings key: (the first unknown part's path, valid siblings).

    Keys under a non-model field (``boundary.pairs``, a dict) are not checked further.
    """
    parts = dotted.split(".")
    if parts[0] in NON_SETTINGS_KEYS:
        return None
    model: type[BaseModel] = RunnerSettings
    for depth, part in enumerate(parts):
        fields = model.model_fields
        if part not in fields:
            return ".".join(parts[: depth + 1]), sorted(fields)
        annotation = fields[part].annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        else:
            return None
    return None


def unknown_key_error(dotted: str) -> ConfigError | None:
    """A mistyped key as one error with the closest valid key; None if the key is valid."""
    found = unknown_key(dotted)
    if found is None:
        return None
    bad, siblings = found
    parent, _, leaf = bad.rpartition(".")
    prefix = f"{parent}." if parent else ""
    if not parent:
        siblings = sorted({*siblings, "run_name"})
    hint = did_you_mean(leaf, siblings, prefix=prefix)
    if not hint:
        hint = f"keys{' of ' + parent if parent else ''}: {_listing(siblings)}"
    return ConfigError(f"{bad}: unknown key", hint=hint)


def _listing(names: Sequence[str], limit: int = 14) -> str:
    shown = ", ".join(names[:limit])
    return shown + (
        f", … ({len(names)} in all; see eng5-runner --cfg job)" if len(names) > limit else ""
    )
