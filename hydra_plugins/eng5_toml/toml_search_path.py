"""Search-path plugin: every ``file://`` and ``pkg://`` config directory also serves ``.toml``.

Each YAML entry of the config search path gets a TOML twin right before it, with the same
provider: ``file://<dir>`` (or a bare ``<dir>``) → ``eng5toml://<dir>``, ``pkg://<module>``
→ ``eng5tomlpkg://<module>``. Those are the two schemes that hold config *files*; Hydra's
third, ``structured://``, serves dataclasses from the ConfigStore and has no files to twin.
Hydra's own ``pkg://hydra.conf`` (provider ``hydra``) is left alone.

Hydra runs search-path plugins once, after adding the primary config dir; ``--config-dir``
(prepended) and ``hydra.searchpath`` (appended, on a deep copy) come later. So the plugin
also turns the search path into a :class:`TomlTwinSearchPath`, whose ``append`` and
``prepend`` add the twin of every entry they add: user folders given either way serve their
TOML files, at exactly the precedence of their YAML files. The twin goes first so that a
directory holding both ``<name>.yaml`` and ``<name>.toml`` is reported (by the TOML source)
instead of the YAML file silently winning.
"""

from __future__ import annotations

from hydra._internal.config_search_path_impl import ConfigSearchPathImpl
from hydra.core.config_search_path import ConfigSearchPath, SearchPathElement, SearchPathQuery
from hydra.plugins.search_path_plugin import SearchPathPlugin

from hydra_plugins.eng5_toml.toml_config_source import SCHEME
from hydra_plugins.eng5_toml.toml_pkg_source import PKG_SCHEME

#: Provider of Hydra's own configs (``pkg://hydra.conf``): no TOML there.
_HYDRA_PROVIDER = "hydra"


def toml_twin(path: str) -> str | None:
    """The TOML twin of a search-path entry, or None when it has no files to twin."""
    if path.startswith("file://"):
        return f"{SCHEME}://{path[len('file://') :]}"
    if path.startswith("pkg://"):
        return f"{PKG_SCHEME}://{path[len('pkg://') :]}"
    return None if "://" in path else f"{SCHEME}://{path}"


def add_toml_twins(search_path: ConfigSearchPath) -> None:
    """Insert the missing TOML twins, each right before its YAML entry (idempotent)."""
    elements = search_path.get_path()
    present = {element.path for element in elements}
    idx = 0
    while idx < len(elements):
        element = elements[idx]
        twin = None if element.provider == _HYDRA_PROVIDER else toml_twin(str(element.path))
        if twin is not None and twin not in present:
            elements.insert(idx, SearchPathElement(element.provider, twin))
            present.add(twin)
            idx += 1
        idx += 1


class TomlTwinSearchPath(ConfigSearchPathImpl):
    """Hydra's search path, adding the TOML twin of every entry added later."""

    def append(self, provider: str, path: str, anchor: SearchPathQuery | None = None) -> None:
        """Append like Hydra, then twin the new entry."""
        super().append(provider, path, anchor)
        add_toml_twins(self)

    def prepend(
        self, provider: str, path: str, anchor: SearchPathQuery | str | None = None
    ) -> None:
        """Prepend like Hydra, then twin the new entry."""
        super().prepend(provider, path, anchor)
        add_toml_twins(self)


class Eng5TomlSearchPathPlugin(SearchPathPlugin):
    """Twin the entries present now, and make later additions twin themselves."""

    def manipulate_search_path(self, search_path: ConfigSearchPath) -> None:
        """Add the TOML twins; switch Hydra's search path to :class:`TomlTwinSearchPath`."""
        add_toml_twins(search_path)
        if type(search_path) is ConfigSearchPathImpl:
            search_path.__class__ = TomlTwinSearchPath
