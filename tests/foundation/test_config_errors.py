"""Config mistakes give one line with 'did you mean …' (exit 2), before or inside Hydra."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra.errors import HydraException

from eng5_runner.cli import CONF_DIR
from eng5_runner.errors import ConfigError
from eng5_runner.inputs.inventory import RunnerInventory
from eng5_runner.settings.compose import settings_from_cfg
from eng5_runner.settings.overrides import check_overrides, explain_hydra_error
from tests.conftest import compose_cfg


def _check(*argv: str) -> str:
    with pytest.raises(ConfigError) as info:
        check_overrides(list(argv), CONF_DIR)
    assert info.value.exit_code == 2
    return info.value.one_line()


def _hydra(*overrides: str) -> str:
    with pytest.raises(HydraException) as info:
        compose_cfg(list(overrides))
    error = explain_hydra_error(info.value)
    assert error is not None and error.exit_code == 2
    return error.one_line()


@pytest.mark.parametrize(
    "override,line",
    [
        ("judge.temprature=0.1", "judge.temprature: unknown key — did you mean judge.temperature?"),
        (
            "+judge.temprature=0.1",
            "judge.temprature: unknown key — did you mean judge.temperature?",
        ),
        ("sed=3", "sed: unknown key — did you mean seed?"),
        (
            "judge.simulated.nois=1",
            "judge.simulated.nois: unknown key — did you mean judge.simulated.noise?",
        ),
        (
            "report.targets.tau_min=0.5",
            "report.targets.tau_min: unknown key — did you mean report.targets.tau_upstream_min?",
        ),
        (
            "dataset.allow_unmatched_grade=true",
            "dataset.allow_unmatched_grade: unknown key — "
            "did you mean dataset.allow_unmatched_grades?",
        ),
    ],
)
def test_key_typos_suggest_the_key(override: str, line: str) -> None:
    assert _check(override, "hydra.run.dir=/tmp/x") == line


def test_unknown_key_without_close_match_lists_the_keys() -> None:
    assert _check("cache.zzz=1").startswith(
        "cache.zzz: unknown key — keys of cache: backend, mode, path, retry_s, url_env"
    )


def test_valid_overrides_pass_and_modes_are_case_insensitive() -> None:
    argv = [
        "-m",
        "mode=Anchor-Align-Test",
        "judge=openai",
        "boundary.pairs=[a:b]",
        "hydra/launcher=joblib",
        "hydra.run.dir=x",
        "mode=Boundary_Test,plan",
        "--cfg",
        "job",
    ]
    assert check_overrides(argv, CONF_DIR) == [
        "-m",
        "mode=anchor-align-test",
        "judge=openai",
        "boundary.pairs=[a:b]",
        "hydra/launcher=joblib",
        "hydra.run.dir=x",
        "mode=boundary-test,plan",
        "--cfg",
        "job",
    ]


def test_non_ascii_value_gets_the_quoting_that_works() -> None:
    assert _check("dataset.name=Åsa Öberg") == (
        "cannot read the override 'dataset.name=Åsa Öberg': Hydra accepts characters such as "
        "å, ä, ö only inside quotes — write 'dataset.name=\"Åsa Öberg\"' (single quotes for "
        "the shell, double quotes for Hydra), or set the value in conf/local/default.yaml"
    )
    cfg = compose_cfg(['dataset.name="Åsa Öberg"'])  # the suggested form really works
    assert cfg.dataset.name == "Åsa Öberg"


def test_other_syntax_errors_are_one_line() -> None:
    line = _check("judge.model=[unclosed")
    assert line.startswith("cannot read the override 'judge.model=[unclosed' (")
    assert "\n" not in line


@pytest.mark.parametrize(
    "override,line",
    [
        (
            "judge=opnai",
            "judge=opnai: no such option — did you mean judge=openai? (options: "
            "anthropic, anthropic_batch, openai, openai_batch, openai_compatible, simulated)",
        ),
        (
            "mode=anchor-align",
            "mode=anchor-align: no such option — did you mean "
            "mode=anchor-align-test? (options: anchor-align-test, boundary-test, dry-run, "
            "execute, plan)",
        ),
        (
            "experiment=quickstrt",
            "experiment=quickstrt: no such option — did you mean "
            "experiment=quickstart? (options: ci_replay_v1, lower_tail_boundaries_v1, quickstart)",
        ),
        (
            "rubric=baseline",
            "rubric=baseline: no such option — did you mean "
            "rubric=001_baseline? (options: 001_baseline, 002_analytic_criteria, "
            "003_language_range_accuracy, 004_boundary_focus)",
        ),
    ],
)
def test_group_option_typos_suggest_the_option(override: str, line: str) -> None:
    assert _hydra(override) == line


def test_comma_value_in_a_single_run_shows_quoting_hydra_accepts() -> None:
    assert _hydra("boundary.pairs=A:B,C:D") == (
        "boundary.pairs=A:B,C:D: the commas make this a sweep, but this is a single run — "
        "quote it to keep one value ('boundary.pairs=\"A:B,C:D\"'), write a list "
        "(boundary.pairs=[A:B,C:D]) or add --multirun to sweep over the values"
    )
    cfg = compose_cfg(['boundary.pairs="A:B,C:D"'])
    assert cfg.boundary.pairs == "A:B,C:D"


def test_hydra_unknown_key_is_translated_too() -> None:
    assert _hydra("judge.temprature=0.1") == (
        "judge.temprature: unknown key — did you mean judge.temperature?"
    )


def test_unknown_key_in_an_experiment_file_suggests_the_key() -> None:
    cfg = compose_cfg(["+judge.max_token=5"])
    with pytest.raises(ConfigError) as info:
        settings_from_cfg(cfg)
    assert info.value.one_line() == (
        "invalid configuration: judge.max_token: unknown key (did you mean judge.max_tokens?)"
    )


def test_not_a_hydra_error_is_left_alone() -> None:
    assert explain_hydra_error(ValueError("a bug")) is None


def test_no_pairs_hint_shows_quoting_that_hydra_accepts(sample_inventory: RunnerInventory) -> None:
    import re

    from eng5_runner.inputs.boundary_pairs import resolve_boundary_pairs
    from eng5_runner.settings.models import BoundarySettings

    with pytest.raises(ConfigError) as info:
        resolve_boundary_pairs(BoundarySettings(), sample_inventory)
    found = re.search(r"'(boundary\.pairs=.*)'", info.value.hint or "")
    assert found is not None
    override = found.group(1).replace(
        "HIGHER:LOWER,HIGHER:LOWER", "ANCHOR_11:ANCHOR_09,ANCHOR_09:ANCHOR_08"
    )
    assert check_overrides([override], CONF_DIR) == [override]
    settings = settings_from_cfg(compose_cfg([override]))
    assert [(p.higher, p.lower) for p in settings.boundary.pairs] == [
        ("ANCHOR_11", "ANCHOR_09"),
        ("ANCHOR_09", "ANCHOR_08"),
    ]


def test_run_dir_names_a_file_prompt_after_the_file_like_the_reports(tmp_path: Path) -> None:
    prompt = tmp_path / "my_prompt.txt"
    prompt.write_text("Judge the essays.", encoding="utf-8")
    cfg = compose_cfg([f"system_prompt.file={prompt}"])
    assert cfg.run_name == "plan_my_prompt_001_baseline"
    assert settings_from_cfg(cfg).system_prompt.name == "my_prompt"
    assert compose_cfg([]).run_name == "plan_001_baseline_001_baseline"
