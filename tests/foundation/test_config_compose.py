"""Every option of every config group composes and validates into RunnerSettings."""

from __future__ import annotations

from pathlib import Path

import pytest

from eng5_runner.errors import ConfigError
from eng5_runner.settings.compose import settings_from_cfg
from eng5_runner.settings.models import RunnerMode
from tests.conftest import CONF_DIR, compose_cfg, make_settings

GROUPS = (
    "mode",
    "dataset",
    "judge",
    "system_prompt",
    "rubric",
    "backend",
    "pairing",
    "boundary",
    "cache",
    "report",
)


def _options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF_DIR / group).iterdir() if p.suffix in (".yaml", ".toml"))


@pytest.mark.parametrize(
    "group,option",
    [(g, o) for g in GROUPS for o in _options(g) if not (g == "dataset" and o == "local_dirs")],
)
def test_every_group_option_validates(group: str, option: str) -> None:
    settings = make_settings([f"{group}={option}"])
    assert settings is not None


def test_local_dirs_dataset_needs_root(tmp_path: Path) -> None:
    settings = make_settings(["dataset=local_dirs", f"dataset.root={tmp_path}"])
    assert settings.dataset.anchors_dir == tmp_path / "anchors"


@pytest.mark.parametrize("experiment", _options("experiment"))
def test_every_experiment_validates(experiment: str) -> None:
    settings = make_settings([f"experiment={experiment}"])
    assert settings.experiment_name == experiment


@pytest.mark.parametrize("sweep", _options("sweep"))
def test_every_sweep_preset_composes(sweep: str) -> None:
    settings = make_settings([f"sweep={sweep}"])
    assert settings.mode is RunnerMode.ANCHOR_ALIGN_TEST


def test_every_mode_value_is_a_mode_option() -> None:
    assert {m.value for m in RunnerMode} == set(_options("mode"))


def test_defaults_are_plan_on_the_sample() -> None:
    settings = make_settings()
    assert settings.mode is RunnerMode.PLAN
    assert settings.dataset.name == "sample"
    assert settings.judge.provider == "simulated"
    assert settings.system_prompt.text and settings.rubric.text


def test_bad_value_names_key_expected_and_given() -> None:
    with pytest.raises(ConfigError) as info:
        make_settings(["judge.temperature=hot"])
    message = info.value.one_line()
    assert "judge.temperature=hot" in message
    assert "number" in message
    assert "\n" not in message


def test_every_bad_key_is_listed() -> None:
    with pytest.raises(ConfigError) as info:
        make_settings(["judge.temperature=9", "+judge.temprature=0.1", "boundary.iterations=0"])
    message = info.value.one_line()
    for part in ("judge.temperature=9", "judge.temprature", "boundary.iterations=0"):
        assert part in message


def test_mode_is_case_insensitive() -> None:
    cfg = compose_cfg()
    cfg.mode = "Anchor-Align-Test"
    assert settings_from_cfg(cfg).mode is RunnerMode.ANCHOR_ALIGN_TEST


def test_prompt_file_overrides_text(tmp_path: Path) -> None:
    prompt = tmp_path / "my_prompt.txt"
    prompt.write_text("  Judge carefully.  \n", encoding="utf-8")
    settings = make_settings([f"system_prompt.file={prompt}"])
    assert settings.system_prompt.text == "Judge carefully."


@pytest.mark.parametrize("content", [None, "   \n"])
def test_missing_or_empty_prompt_file_is_a_clear_error(tmp_path: Path, content: str | None) -> None:
    prompt = tmp_path / "rubric.txt"
    if content is not None:
        prompt.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"rubric\.file=.*(not found|empty)"):
        make_settings([f"rubric.file={prompt}"])


@pytest.mark.parametrize(
    "pairs,fragment",
    [
        ("E-:", "both sides"),
        (":F+", "both sides"),
        ("E-F+", "exactly one"),
        ("A:A", "itself"),
        ("A:B,A:B", "twice"),
    ],
)
def test_malformed_boundary_pair_strings(pairs: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        make_settings([f"boundary.pairs='{pairs}'"])


def test_boundary_pair_string_form_parses() -> None:
    settings = make_settings(["boundary.pairs='ANCHOR_03:ANCHOR_01, E+:D-'"])
    assert [(p.higher, p.lower) for p in settings.boundary.pairs] == [
        ("ANCHOR_03", "ANCHOR_01"),
        ("E+", "D-"),
    ]
