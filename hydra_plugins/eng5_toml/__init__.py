"""Hydra plugin: TOML config files as config-group options next to YAML.

Hydra discovers the plugin classes by scanning the ``hydra_plugins`` namespace package, so
this module deliberately re-exports nothing (Hydra re-executes every module it scans; a
re-export would make it register each class twice).

* :mod:`.toml_config_source` — ``eng5toml://`` config source: reads ``*.toml`` only.
* :mod:`.toml_search_path` — adds an ``eng5toml://`` twin after every ``file://`` search-path
  entry, so ``conf/<group>/<name>.toml`` is an option of ``<group>`` like a ``.yaml`` file.
"""
