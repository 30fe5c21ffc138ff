"""Turn a composed Hydra config into validated :class:`RunnerSettings`.

This is the only module that touches OmegaConf objects: everything after it
works with frozen pydantic models.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException
from pydantic import ValidationError

from eng5_runner.errors import ConfigError, InputError
from eng5_runner.settings.models import PromptSettings, RunnerSettings
from eng5_runner.settings.project import anchor_input_paths

#: Keys of the composed config that are Hydra's or bookkeeping, not settings.
_IGNORED_TOP_LEVEL = {"hydra", "paths", "run_name", "local", "project_dir"}


def settings_from_cfg(
    cfg: DictConfig | dict[str, Any], *, project_dir: Path | None = None
) -> RunnerSettings:
    """Validate the composed config; raise ConfigError listing every bad key.

    With ``project_dir``, relative input paths are resolved against it first
    (:mod:`eng5_runner.settings.project`); without, they are left as given.
    """
    if isinstance(cfg, DictConfig):
        try:
            data = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
        except OmegaConfBaseException as exc:
            key = getattr(exc, "full_key", None) or "?"
            reason = getattr(exc, "msg", None) or str(exc)
            raise ConfigError(
                f"config key '{key}' could not be resolved: {reason}",
                hint="set it on the command line (key=value) or in an experiment file",
            ) from None
    else:
        data = dict(cfg)
    assert isinstance(data, dict)
    fields: dict[str, Any] = {
        str(k): v for k, v in data.items() if str(k) not in _IGNORED_TOP_LEVEL
    }
    if project_dir is not None:
        fields = anchor_input_paths(fields, project_dir)
    from eng5_runner.settings.secret_check import check_no_secrets

    check_no_secrets(fields)
    try:
        settings = RunnerSettings.model_validate(fields)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc)) from None
    from eng5_runner.settings.simulation import apply_simulated_variants

    return apply_simulated_variants(
        settings.model_copy(
            update={
                "system_prompt": resolve_prompt(settings.system_prompt, "system_prompt"),
                "rubric": resolve_prompt(settings.rubric, "rubric"),
            }
        )
    )


def format_validation_error(exc: ValidationError) -> str:
    """One line per bad key: ``dotted.key=given: what was expected``."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"])
        given = err.get("input")
        if err["type"] == "missing":
            lines.append(f"{loc}: required but not set")
        elif err["type"] == "extra_forbidden":
            lines.append(f"{loc}: unknown key ({_key_hint(loc)})")
        else:
            shown = _short(given)
            lines.append(f"{loc}={shown}: {err['msg']}")
    return "invalid configuration: " + "; ".join(lines)


def _key_hint(loc: str) -> str:
    from eng5_runner.settings.suggest import unknown_key_error

    error = unknown_key_error(loc)
    if error is not None and error.hint and error.hint.startswith("did you mean"):
        return error.hint
    return "check the spelling; see `eng5-runner --cfg job`"


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def resolve_prompt(prompt: PromptSettings, key: str) -> PromptSettings:
    """Read ``file`` (if set) into ``text``; reject missing or empty prompts."""
    if prompt.file is not None:
        path = Path(prompt.file)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError(
                f"{key}.file={path}: file not found",
                hint=f"give an existing file or pick an option from conf/{key}/",
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{key}.file={path}: cannot read it as UTF-8 text ({exc})") from None
        if not text.strip():
            raise InputError(
                f"{key}.file={path}: the file is empty", hint="write the prompt text into it"
            )
        return prompt.model_copy(update={"text": text.strip(), "name": path.stem})
    if prompt.text is None or not prompt.text.strip():
        raise ConfigError(
            f"{key}.text is empty for option '{prompt.name}'",
            hint=f"set {key}.text, {key}.file=<path> or pick an option from conf/{key}/",
        )
    return prompt.model_copy(update={"text": prompt.text.strip()})


def prompt_text(prompt: PromptSettings, key: str) -> str:
    """The text the judge gets: ``text`` once :func:`settings_from_cfg` has read ``file``.

    Settings built in code may carry only a ``file``; it is read (and checked) here.
    """
    if prompt.text is not None and prompt.text.strip():
        return prompt.text.strip()
    text = resolve_prompt(prompt, key).text
    assert text is not None
    return text
