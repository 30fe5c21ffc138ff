"""``eng5toml://`` Hydra config source: ``<dir>/<group>/<name>.toml`` files as configs.

It mirrors Hydra's ``file://`` source but reads only ``.toml`` files, so when both sources
point at the same directory each option is listed once: YAML by ``file://``, TOML by this one.
``<name>.yaml`` and ``<name>.toml`` side by side in one directory is an error on load.
Header comments (``# @package _global_``) are parsed by Hydra's own header parser, with the
same 512-character window the YAML source uses, so they behave exactly as in YAML. The
``defaults`` list, ``override /group`` entries and ``${...}`` interpolations are plain data to
Hydra and OmegaConf and need nothing special.

TOML has no null; TOML dates and times become ISO-8601 strings (OmegaConf has no such type).
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from typing import Any

from hydra.core.object_type import ObjectType
from hydra.plugins.config_source import ConfigLoadError, ConfigResult, ConfigSource
from omegaconf import DictConfig, OmegaConf

#: Search-path scheme of this source: ``eng5toml:///abs/conf/dir``.
SCHEME = "eng5toml"
#: File extension of the configs this source serves.
TOML_SUFFIX = ".toml"
#: Extension of the YAML sibling that would make an option ambiguous.
YAML_SUFFIX = ".yaml"
#: Hydra's YAML source parses the header from the first 512 characters; so do we.
_HEADER_WINDOW = 512

_TOML_SCALARS = (str, int, float, bool)


def _to_plain(value: Any) -> Any:
    """Return ``value`` (a parsed TOML value) with dates and times as ISO-8601 strings."""
    if isinstance(value, dict):
        return {key: _to_plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_to_plain(item) for item in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, _TOML_SCALARS):
        return value
    raise TypeError(f"unexpected TOML value of type {type(value).__name__}")


def normalize_toml_name(config_path: str) -> str:
    """``experiment/foo`` → ``experiment/foo.toml`` (a ``.toml`` suffix is kept)."""
    return config_path if config_path.endswith(TOML_SUFFIX) else config_path + TOML_SUFFIX


def parse_toml_config(text: str, where: str) -> tuple[DictConfig, dict[str, str | None]]:
    """The config and the Hydra header (``# @package ...``) of one TOML file's text.

    ``where`` names the file in the ConfigLoadError raised for a bad header or bad TOML.
    """
    try:
        header = ConfigSource._get_header_dict(text[:_HEADER_WINDOW])
    except ValueError as exc:
        raise ConfigLoadError(f"Invalid header in TOML config '{where}': {exc}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigLoadError(f"Invalid TOML in config '{where}': {exc}") from exc
    return OmegaConf.create(_to_plain(data)), header


class TomlConfigSource(ConfigSource):
    """Config source serving the ``.toml`` files of one directory tree."""

    def __init__(self, provider: str, path: str) -> None:
        if "://" not in path:
            path = f"{self.scheme()}://{path}"
        super().__init__(provider=provider, path=path)

    @staticmethod
    def scheme() -> str:
        """Search-path scheme: ``eng5toml``."""
        return SCHEME

    def _full_path(self, config_path: str) -> str:
        return os.path.realpath(os.path.join(self.path, config_path))

    def load_config(self, config_path: str) -> ConfigResult:
        """Load ``<config_path>.toml``; a parse error is a ConfigLoadError naming the file."""
        full_path = self._full_path(normalize_toml_name(config_path))
        if not os.path.isfile(full_path):
            raise ConfigLoadError(f"Config not found : {full_path}")
        yaml_twin = full_path[: -len(TOML_SUFFIX)] + YAML_SUFFIX
        if os.path.isfile(yaml_twin):
            raise ConfigLoadError(
                f"Ambiguous config '{config_path}': both '{yaml_twin}' and '{full_path}'"
                " exist; keep only one of them"
            )
        try:
            with open(full_path, "rb") as handle:
                text = handle.read().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigLoadError(f"Cannot read TOML config '{full_path}': {exc}") from exc
        config, header = parse_toml_config(text, full_path)
        return ConfigResult(
            config=config, path=self.full_path(), provider=self.provider, header=header
        )

    def available(self) -> bool:
        """True when the directory exists."""
        return self.is_group("")

    def is_group(self, config_path: str) -> bool:
        """True for a directory (the same answer Hydra's ``file://`` source gives)."""
        return os.path.isdir(self._full_path(config_path))

    def is_config(self, config_path: str) -> bool:
        """True when ``<config_path>.toml`` is a file."""
        return os.path.isfile(self._full_path(normalize_toml_name(config_path)))

    def list(self, config_path: str, results_filter: ObjectType | None) -> list[str]:
        """Sub-groups and ``.toml`` options of ``config_path``, without extension, sorted."""
        found: list[str] = []
        for name in os.listdir(self._full_path(config_path)):
            self._list_add_result(
                files=found,
                file_path=os.path.join(config_path, name),
                file_name=name,
                results_filter=results_filter,
            )
        return sorted(set(found))
