"""Hydra plugin: TOML config files as config-group options next to YAML.

Hydra discovers the plugin classes by scanning the ``hydra_plugins`` namespace package, so
this module deliberately re-exports nothing (Hydra re-executes every module it scans; a
re-export would make it register each class twice).

* :mod:`.toml_config_source` — ``eng5toml://`` config source: the ``*.toml`` files of a directory.
* :mod:`.toml_pkg_source` — ``eng5tomlpkg://`` config source: the ``*.toml`` files of a package.
* :mod:`.toml_search_path` — gives every ``file://`` and ``pkg://`` search-path entry, also
  those added later by ``--config-dir`` and ``hydra.searchpath``, its TOML twin, so
  ``<dir>/<group>/<name>.toml`` is an option of ``<group>`` like a ``.yaml`` file.
"""
