"""Search-path plugin: serve ``.toml`` configs from every ``file://`` config directory."""

from __future__ import annotations

from hydra.core.config_search_path import ConfigSearchPath, SearchPathQuery
from hydra.plugins.search_path_plugin import SearchPathPlugin

from hydra_plugins.eng5_toml.toml_config_source import SCHEME


def _file_dir(path: str) -> str | None:
    """The directory of a ``file://`` (or scheme-less) search-path entry, else None."""
    if path.startswith("file://"):
        return path[len("file://") :]
    return None if "://" in path else path


class Eng5TomlSearchPathPlugin(SearchPathPlugin):
    """Insert ``eng5toml://<dir>`` right before each ``file://<dir>`` entry.

    Hydra runs search-path plugins after adding the primary config dir (``@hydra.main``'s
    ``config_path`` or ``initialize_config_dir``'s ``config_dir``), so that dir is covered.
    Entries added later (``--config-dir``, ``hydra.searchpath``) are not: list an explicit
    ``eng5toml://<dir>`` there if you want its TOML files. The twin keeps the provider name
    and sits next to its YAML entry, so precedence between directories is unchanged. It goes
    first so that a directory holding both ``<name>.yaml`` and ``<name>.toml`` is reported
    (by the TOML source) instead of the YAML file silently winning.
    """

    def manipulate_search_path(self, search_path: ConfigSearchPath) -> None:
        """Add the TOML twins (idempotent)."""
        present = {element.path for element in search_path.get_path()}
        for element in list(search_path.get_path()):
            directory = _file_dir(element.path)
            if directory is None:
                continue
            twin = f"{SCHEME}://{directory}"
            if twin in present:
                continue
            search_path.prepend(
                provider=element.provider,
                path=twin,
                anchor=SearchPathQuery(provider=element.provider, path=element.path),
            )
            present.add(twin)
