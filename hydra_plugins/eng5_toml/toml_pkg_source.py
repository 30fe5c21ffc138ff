"""``eng5tomlpkg://`` Hydra config source: the ``.toml`` twin of Hydra's ``pkg://`` source.

``pkg://my_lab.eng5_conf`` serves the YAML files of an importable package; its twin
``eng5tomlpkg://my_lab.eng5_conf`` serves the ``.toml`` files of the same package, read with
:mod:`importlib.resources` (so a package inside a zip or wheel works too). Parsing, headers
and the YAML/TOML ambiguity check are those of :mod:`.toml_config_source`.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

from hydra.core.object_type import ObjectType
from hydra.plugins.config_source import ConfigLoadError, ConfigResult, ConfigSource

from hydra_plugins.eng5_toml.toml_config_source import (
    TOML_SUFFIX,
    YAML_SUFFIX,
    normalize_toml_name,
    parse_toml_config,
)

#: Search-path scheme of this source: ``eng5tomlpkg://package.module``.
PKG_SCHEME = "eng5tomlpkg"


class TomlPackageConfigSource(ConfigSource):
    """Config source serving the ``.toml`` files inside one importable package."""

    def __init__(self, provider: str, path: str) -> None:
        if "://" not in path:
            path = f"{self.scheme()}://{path}"
        super().__init__(provider=provider, path=path)
        self.path = self.path.replace("/", ".").rstrip(".")  # the form Hydra's pkg:// uses

    @staticmethod
    def scheme() -> str:
        """Search-path scheme: ``eng5tomlpkg``."""
        return PKG_SCHEME

    def _root(self) -> Traversable | None:
        try:
            return resources.files(self.path)
        except (ValueError, ModuleNotFoundError, TypeError):
            return None

    def _node(self, config_path: str) -> Traversable | None:
        root = self._root()
        if root is None:
            return None
        node = root
        for part in (p for p in config_path.split("/") if p):
            node = node.joinpath(part)
        return node

    def load_config(self, config_path: str) -> ConfigResult:
        """Load ``<config_path>.toml`` from the package."""
        name = normalize_toml_name(config_path)
        node = self._node(name)
        if node is None or not node.is_file():
            raise ConfigLoadError(f"Config not found : {self.path}/{name}")
        twin = self._node(name[: -len(TOML_SUFFIX)] + YAML_SUFFIX)
        where = f"{self.scheme()}://{self.path}/{name}"
        if twin is not None and twin.is_file():
            raise ConfigLoadError(
                f"Ambiguous config '{config_path}': both '{name[: -len(TOML_SUFFIX)]}"
                f"{YAML_SUFFIX}' and '{name}' exist in package {self.path}; keep only one"
            )
        try:
            text = node.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigLoadError(f"Cannot read TOML config '{where}': {exc}") from exc
        config, header = parse_toml_config(text, where)
        return ConfigResult(
            config=config, path=self.full_path(), provider=self.provider, header=header
        )

    def available(self) -> bool:
        """True when the package can be imported and is a directory of resources."""
        root = self._root()
        return root is not None and root.is_dir()

    def is_group(self, config_path: str) -> bool:
        """True for a sub-directory of the package."""
        node = self._node(config_path)
        return node is not None and node.is_dir()

    def is_config(self, config_path: str) -> bool:
        """True when ``<config_path>.toml`` is a resource of the package."""
        node = self._node(normalize_toml_name(config_path))
        return node is not None and node.is_file()

    def list(self, config_path: str, results_filter: ObjectType | None) -> list[str]:
        """Sub-groups and ``.toml`` options of ``config_path``, without extension, sorted."""
        node = self._node(config_path)
        found: list[str] = []
        if node is None or not node.is_dir():
            return found
        for child in node.iterdir():
            self._list_add_result(
                files=found,
                file_path=f"{config_path}/{child.name}" if config_path else child.name,
                file_name=child.name,
                results_filter=results_filter,
            )
        return sorted(set(found))
