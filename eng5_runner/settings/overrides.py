"""Check command-line overrides before Hydra composes anything, and explain Hydra's errors.

Two layers, both ending in one :class:`ConfigError` line (exit 2):

* :func:`check_overrides` runs on ``sys.argv`` first: Hydra's own override parser (so a
  syntax error, e.g. an unquoted ``å``, is caught with a quoting hint), mode values
  lower-cased, and every ``key=value`` checked against the settings models with a
  "did you mean …".
* :func:`explain_hydra_error` turns what Hydra raises while composing (an unknown group
  option, a comma value in a single run, …) into one line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from eng5_runner.errors import ConfigError
from eng5_runner.settings.models import RunnerMode
from eng5_runner.settings.suggest import did_you_mean, unknown_key_error

_MODE_VALUE = re.compile(r"^[A-Za-z_,-]+$")


def check_overrides(argv: Sequence[str], conf_dir: Path) -> list[str]:
    """``argv`` with mode values lower-cased; ConfigError for a bad override."""
    from hydra._internal.utils import get_args_parser
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import OverrideParseException

    try:
        args, _ = get_args_parser().parse_known_args(list(argv))
    except SystemExit:  # argparse's own usage error: let Hydra report it as usual
        return list(argv)
    overrides: list[str] = list(args.overrides or [])
    groups = _group_names([conf_dir, *([Path(args.config_dir)] if args.config_dir else [])])
    parser = OverridesParser.create()
    fixed: dict[str, str] = {}
    for text in overrides:
        try:
            override = parser.parse_overrides([text])[0]
        except OverrideParseException as exc:
            raise syntax_error(text, exc.message) from None
        key = override.key_or_group
        if override.package is not None or "/" in key:
            continue
        if key == "mode" and "=" in text:
            fixed[text] = _normalise_mode(text)
        elif key in groups:
            continue
        else:
            error = unknown_key_error(key)
            if error is not None:
                raise error
    return [fixed.get(item, item) for item in argv]


def syntax_error(text: str, message: str) -> ConfigError:
    """An override Hydra's grammar rejects, with the quoting that fixes it."""
    key, _, value = text.partition("=")
    if any(ord(ch) > 127 for ch in text):
        return ConfigError(
            f"cannot read the override '{text}': Hydra accepts characters such as å, ä, ö "
            "only inside quotes",
            hint=f"""write '{key}="{value}"' (single quotes for the shell, double quotes for """
            "Hydra), or set the value in conf/local/default.yaml",
        )
    first = message.strip().splitlines()[0] if message.strip() else "syntax error"
    return ConfigError(
        f"cannot read the override '{text}' ({first})",
        hint=f"""quote a value with special characters: '{key}="{value}"' """
        "(see docs/configuration.md#overriding)",
    )


def explain_hydra_error(exc: BaseException) -> ConfigError | None:
    """One line for an error Hydra raised while composing; None if it is not one."""
    from hydra.errors import (
        ConfigCompositionException,
        HydraException,
        MissingConfigException,
        OverrideParseException,
    )
    from omegaconf.errors import OmegaConfBaseException

    if isinstance(exc, OverrideParseException):
        return syntax_error(exc.override, exc.message)
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    if isinstance(exc, MissingConfigException) and exc.missing_cfg_file and exc.options:
        return _missing_option(exc.missing_cfg_file, list(exc.options), first)
    if isinstance(exc, ConfigCompositionException):
        ambiguous = re.match(r"Ambiguous value for argument '(.*)'$", first)
        if ambiguous:
            item = ambiguous.group(1)
            key, _, value = item.partition("=")
            return ConfigError(
                f"{item}: the commas make this a sweep, but this is a single run",
                hint=f"""quote it to keep one value ('{key}="{value}"'), write a list """
                f"({key}=[{value}]) or add --multirun to sweep over the values",
            )
        cannot = re.match(r"Could not override '([^']*)'", first)
        if cannot:
            error = unknown_key_error(cannot.group(1))
            if error is not None:
                return error
    if isinstance(exc, HydraException | OmegaConfBaseException):
        cause = exc.__cause__
        detail = str(cause).strip().splitlines()[0] if cause is not None and str(cause) else ""
        return ConfigError(first.rstrip(".") + (f" ({detail})" if detail else ""))
    return None


def _missing_option(missing: str, options: list[str], first: str) -> ConfigError:
    group, _, option = missing.rpartition("/")
    where = re.match(r"In '([^']*)':", first)
    inside = f" (in {where.group(1)})" if where and where.group(1) != "config" else ""
    hint = did_you_mean(option, options, prefix=f"{group}=")
    listing = f"options: {', '.join(options)}"
    return ConfigError(
        f"{group}={option}: no such option{inside}",
        hint=f"{hint} ({listing})" if hint else listing,
    )


def _normalise_mode(text: str) -> str:
    """``mode=Anchor_Align-Test`` → ``mode=anchor-align-test`` (modes are case-insensitive)."""
    key, _, value = text.partition("=")
    if not _MODE_VALUE.match(value):
        return text
    lowered = value.lower().replace("_", "-")
    known = {m.value for m in RunnerMode}
    if all(part in known for part in lowered.split(",")):
        return f"{key}={lowered}"
    return text


def _group_names(conf_dirs: Iterable[Path]) -> set[str]:
    names: set[str] = set()
    for directory in conf_dirs:
        if directory.is_dir():
            names.update(p.name for p in directory.iterdir() if p.is_dir())
    return names
