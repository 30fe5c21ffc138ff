"""The project folder: the root of relative input paths, found from Hydra's config sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from eng5_runner.settings.compose import settings_from_cfg
from eng5_runner.settings.project import anchor_input_paths, project_dir_from_sources
from tests.conftest import compose_cfg

PACKAGED = {"provider": "main", "schema": "file", "path": "/site/eng5_runner/conf"}
HYDRA = {"provider": "hydra", "schema": "pkg", "path": "hydra.conf"}


def test_without_a_user_config_dir_it_is_the_cwd(tmp_path: Path) -> None:
    assert project_dir_from_sources([HYDRA, PACKAGED], tmp_path) == tmp_path


@pytest.mark.parametrize(
    "provider", ["command-line", "hydra.searchpath in command-line", "hydra.searchpath in main"]
)
def test_it_is_the_folder_holding_the_user_config_dir(tmp_path: Path, provider: str) -> None:
    user = {"provider": provider, "schema": "file", "path": "study/conf"}
    twin = {"provider": provider, "schema": "eng5toml", "path": "elsewhere/conf"}
    found = project_dir_from_sources([HYDRA, twin, user, PACKAGED], tmp_path)
    assert found == (tmp_path / "study").resolve()


def test_a_pkg_config_dir_gives_the_folder_holding_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "site" / "my_lab" / "eng5_conf"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package.parent / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    user = {
        "provider": "hydra.searchpath in command-line",
        "schema": "pkg",
        "path": "my_lab.eng5_conf",
    }
    assert project_dir_from_sources([user, PACKAGED], tmp_path / "cwd") == package.parent


def test_relative_inputs_are_anchored_absolute_ones_kept(tmp_path: Path) -> None:
    data = {
        "dataset": {"root": "data", "anchors_dir": "data/anchors", "grades_file": "/abs/g.csv"},
        "system_prompt": {"file": "prompts/s.md", "name": "x"},
        "rubric": {"file": None},
        "cache": {"path": "outputs/judgements.sqlite"},
    }
    anchored = anchor_input_paths(data, tmp_path)
    assert anchored["dataset"] == {
        "root": str(tmp_path / "data"),
        "anchors_dir": str(tmp_path / "data" / "anchors"),
        "grades_file": "/abs/g.csv",
    }
    assert anchored["system_prompt"]["file"] == str(tmp_path / "prompts" / "s.md")
    assert anchored["rubric"] == {"file": None}
    assert anchored["cache"]["path"] == "outputs/judgements.sqlite"  # a store is an output
    assert data["dataset"]["root"] == "data"  # the input is not modified
    cassette = anchor_input_paths({"cache": {"path": "cassettes/x.jsonl"}}, tmp_path)
    assert cassette["cache"]["path"] == str(tmp_path / "cassettes" / "x.jsonl")


def test_settings_read_prompt_files_from_the_project_folder(tmp_path: Path) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "mine.md").write_text("Judge carefully.\n")
    cfg = compose_cfg(
        ["system_prompt.file=prompts/mine.md", "dataset=local_dirs", "dataset.root=d"]
    )
    settings = settings_from_cfg(cfg, project_dir=tmp_path)
    assert settings.system_prompt.text == "Judge carefully."
    assert settings.dataset.anchors_dir == tmp_path / "d" / "anchors"
