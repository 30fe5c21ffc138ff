"""TOML config files as Hydra config-group options (plugin ``hydra_plugins.eng5_toml``).

The plugin is found by Hydra's scan of the ``hydra_plugins`` namespace, so the project must be
installed (``pip install -e .``). Tests that add option files compose a scratch copy of
``conf/``; the others compose the repository's own.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.plugins.config_source import ConfigLoadError
from omegaconf import DictConfig, OmegaConf

REPO_CONF = Path(__file__).resolve().parents[1] / "eng5_runner" / "conf"
SCHEME = "eng5toml"


@pytest.fixture(autouse=True)
def _clean_global_hydra() -> Iterator[None]:
    GlobalHydra.instance().clear()
    yield
    GlobalHydra.instance().clear()


@pytest.fixture
def conf_dir(tmp_path: Path) -> Path:
    """A scratch copy of ``conf/`` that tests may add option files to."""
    root = tmp_path / "conf"
    shutil.copytree(REPO_CONF, root)
    return root


def _write(conf: Path, rel: str, text: str) -> None:
    (conf / rel).parent.mkdir(parents=True, exist_ok=True)
    (conf / rel).write_text(text, encoding="utf-8")


def _compose(conf: Path, overrides: list[str]) -> DictConfig:
    with initialize_config_dir(version_base="1.3", config_dir=str(conf)):
        return compose("config", overrides=overrides)


def _container(cfg: DictConfig) -> dict[Any, Any]:
    data = OmegaConf.to_container(cfg, resolve=False)
    assert isinstance(data, dict)
    data.pop("hydra", None)
    return data


def _assert_lower_tail(cfg: DictConfig) -> None:
    assert cfg.mode == "boundary-test"
    assert cfg.experiment_name == "lower_tail_boundaries_v1"
    assert cfg.batch_label == "lower-tail-v1"
    assert list(cfg.tags) == ["boundary", "lower_tail"]
    assert "experiment" not in cfg  # @package _global_: nothing under the group's own key
    assert cfg.boundary.name == "sample"  # override /boundary: sample
    assert len(cfg.boundary.pairs) == 2
    assert cfg.boundary.iterations == 12


def test_plugin_adds_toml_twin_of_the_config_dir() -> None:
    with initialize_config_dir(version_base="1.3", config_dir=str(REPO_CONF)):
        sources = GlobalHydra.instance().config_loader().get_sources()
        paths = [(s.provider, s.full_path()) for s in sources]
    main = [p for p in paths if p[0] == "main"]
    assert main == [("main", f"{SCHEME}://{REPO_CONF}"), ("main", f"file://{REPO_CONF}")], (
        f"TOML plugin not active (is the project installed with `pip install -e .`?): {paths}"
    )


def test_repo_toml_experiment() -> None:
    _assert_lower_tail(_compose(REPO_CONF, ["experiment=lower_tail_boundaries_v1"]))


_PAIRS: dict[str, tuple[str, str]] = {
    "global_with_overrides": (
        """\
# @package _global_
# an experiment
defaults:
  - override /mode: boundary-test
  - override /boundary: sample

experiment_name: twin
tags: [a, b]
batch_label: ${experiment_name}-${seed}
boundary:
  iterations: 12
  pairs:
    - {higher: x, lower: y}
judge:
  simulated:
    noise: 0.25
dataset:
  include_assignment: false
""",
        """\
# @package _global_
# an experiment
defaults = [
  { "override /mode" = "boundary-test" },
  { "override /boundary" = "sample" },
]

experiment_name = "twin"
tags = ["a", "b"]
batch_label = "${experiment_name}-${seed}"

[boundary]
iterations = 12
pairs = [{ higher = "x", lower = "y" }]

[judge.simulated]
noise = 0.25

[dataset]
include_assignment = false
""",
    ),
    "group_package": (
        """\
defaults:
  - _self_
name: b
label: ${.name}-x
nested:
  flag: true
  ratio: 1.5
  empty: []
  missing: ???
""",
        """\
defaults = ["_self_"]
name = "b"
label = "${.name}-x"

[nested]
flag = true
ratio = 1.5
empty = []
missing = "???"
""",
    ),
    "header_after_comment_is_ignored": (
        "# a comment first\n# @package _global_\nmarker: 1\n",
        "# a comment first\n# @package _global_\nmarker = 1\n",
    ),
}


@pytest.mark.parametrize("name", sorted(_PAIRS))
def test_yaml_and_toml_compose_identically(conf_dir: Path, name: str) -> None:
    yaml_text, toml_text = _PAIRS[name]
    _write(conf_dir, f"experiment/{name}_y.yaml", yaml_text)
    _write(conf_dir, f"experiment/{name}_t.toml", toml_text)
    from_yaml = _container(_compose(conf_dir, [f"experiment={name}_y"]))
    from_toml = _container(_compose(conf_dir, [f"experiment={name}_t"]))
    assert from_toml == from_yaml
    assert from_toml != _container(_compose(conf_dir, []))


def test_interpolation_in_toml(conf_dir: Path) -> None:
    _write(
        conf_dir,
        "experiment/interp.toml",
        """\
# @package _global_
experiment_name = "interp"
seed = 7
batch_label = "${experiment_name}-s${seed}"

[boundary]
iterations = "${seed}"
label = "${.name}/${judge.model}"
""",
    )
    cfg = _compose(conf_dir, ["experiment=interp"])
    assert cfg.batch_label == "interp-s7"
    assert cfg.boundary.iterations == 7
    assert cfg.boundary.label == "none/simulated-v1"
    assert cfg.judge.simulated.seed == 7  # YAML interpolating a TOML-set value


def test_toml_dates_become_iso_strings(conf_dir: Path) -> None:
    _write(conf_dir, "experiment/dated.toml", "on = 2024-05-01\nat = 2024-05-01T10:30:00\n")
    cfg = _compose(conf_dir, ["experiment=dated"])
    assert cfg.experiment == {"on": "2024-05-01", "at": "2024-05-01T10:30:00"}


def test_glob_sweep_sees_yaml_and_toml_options() -> None:
    with initialize_config_dir(version_base="1.3", config_dir=str(REPO_CONF)):
        loader = GlobalHydra.instance().config_loader()
        options = loader.get_group_options("experiment")
        # exactly what Hydra's BasicSweeper does with `--multirun experiment=glob(*)`
        parser = OverridesParser.create(config_loader=loader)
        (override,) = parser.parse_overrides(["experiment=glob(*)"])
        swept = list(override.sweep_string_iterator())
    assert {"quickstart", "lower_tail_boundaries_v1"} <= set(options)
    assert len(options) == len(set(options))
    assert swept == options


def test_toml_option_in_another_group(conf_dir: Path) -> None:
    _write(conf_dir, "boundary/toml_pairs.toml", 'name = "toml_pairs"\niterations = 3\n')
    with initialize_config_dir(version_base="1.3", config_dir=str(conf_dir)):
        options = GlobalHydra.instance().config_loader().get_group_options("boundary")
        cfg = compose("config", overrides=["boundary=toml_pairs"])
    assert {"none", "sample", "upper_band", "toml_pairs"} <= set(options)
    assert cfg.boundary == {"name": "toml_pairs", "iterations": 3}


def test_malformed_toml_names_the_file(conf_dir: Path) -> None:
    bad = conf_dir / "experiment" / "broken.toml"
    _write(conf_dir, "experiment/broken.toml", '# @package _global_\nbatch_label = "x\n')
    with pytest.raises(ConfigLoadError, match=r"Invalid TOML") as info:
        _compose(conf_dir, ["experiment=broken"])
    assert str(bad) in str(info.value)
    assert "line 2" in str(info.value)


def test_same_name_yaml_and_toml_is_an_error(conf_dir: Path) -> None:
    _write(conf_dir, "experiment/both.yaml", "x: 1\n")
    _write(conf_dir, "experiment/both.toml", "x = 2\n")
    with initialize_config_dir(version_base="1.3", config_dir=str(conf_dir)):
        options = GlobalHydra.instance().config_loader().get_group_options("experiment")
        assert options.count("both") == 1
        with pytest.raises(ConfigLoadError, match=r"Ambiguous config 'experiment/both'"):
            compose("config", overrides=["experiment=both"])


def test_hydra_searchpath_file_entry_serves_toml(conf_dir: Path, tmp_path: Path) -> None:
    """``hydra.searchpath`` entries come after the plugin ran; they get their twin anyway."""
    extra = tmp_path / "extra"
    _write(extra, "experiment/extra_toml.toml", "x = 1\n")
    found = _compose(conf_dir, [f"hydra.searchpath=['file://{extra}']", "experiment=extra_toml"])
    assert found.experiment == {"x": 1}
    GlobalHydra.instance().clear()
    explicit = _compose(
        conf_dir, [f"hydra.searchpath=['{SCHEME}://{extra}']", "experiment=extra_toml"]
    )
    assert explicit.experiment == {"x": 1}


def test_pkg_searchpath_serves_yaml_and_toml(
    conf_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``pkg://`` entries get an ``eng5tomlpkg://`` twin: a package's TOML files are options."""
    package = tmp_path / "site" / "my_lab_conf"
    _write(package, "__init__.py", "")
    _write(package, "experiment/pkg_toml.toml", "# @package _global_\nbatch_label = 'from-toml'\n")
    _write(package, "experiment/pkg_yaml.yaml", "# @package _global_\nbatch_label: from-yaml\n")
    _write(package, "experiment/clash.yaml", "x: 1\n")
    _write(package, "experiment/clash.toml", "x = 2\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    searchpath = "hydra.searchpath=['pkg://my_lab_conf']"
    assert _compose(conf_dir, [searchpath, "experiment=pkg_toml"]).batch_label == "from-toml"
    GlobalHydra.instance().clear()
    assert _compose(conf_dir, [searchpath, "experiment=pkg_yaml"]).batch_label == "from-yaml"
    GlobalHydra.instance().clear()
    with initialize_config_dir(version_base="1.3", config_dir=str(conf_dir)):
        loader = GlobalHydra.instance().config_loader()
        options = loader.get_group_options("experiment", overrides=[searchpath])
        with pytest.raises(ConfigLoadError, match=r"Ambiguous config 'experiment/clash'"):
            compose("config", overrides=[searchpath, "experiment=clash"])
    assert {"pkg_toml", "pkg_yaml", "clash", "quickstart"} <= set(options)
    assert len(options) == len(set(options))


def test_twins_keep_the_precedence_of_their_yaml_entries(conf_dir: Path, tmp_path: Path) -> None:
    """A user folder's TOML option shadows a packaged option of the same name, like YAML."""
    extra = tmp_path / "extra"
    _write(extra, "experiment/quickstart.toml", "# @package _global_\nbatch_label = 'mine'\n")
    with initialize_config_dir(version_base="1.3", config_dir=str(conf_dir)):
        sources = GlobalHydra.instance().config_loader().get_sources()
        paths = [s.full_path() for s in sources]
    assert paths.index(f"{SCHEME}://{conf_dir}") == paths.index(f"file://{conf_dir}") - 1
    GlobalHydra.instance().clear()
    cfg = _compose(conf_dir, [f"hydra.searchpath=['file://{extra}']", "experiment=quickstart"])
    # hydra.searchpath is appended: the primary config dir still wins, for YAML and TOML alike
    assert cfg.batch_label == "quickstart"
