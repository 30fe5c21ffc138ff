"""Project launcher presets compose when their plugin is installed."""

from __future__ import annotations

import importlib.util

import pytest

from tests.conftest import compose_cfg


def test_slurm_preset_composes() -> None:
    if importlib.util.find_spec("hydra_plugins.hydra_submitit_launcher") is None:
        pytest.skip("hydra-submitit-launcher is not installed")
    cfg = compose_cfg(["hydra/launcher=eng5_slurm"], return_hydra=True)
    launcher = cfg.hydra.launcher
    assert launcher.timeout_min == 120 and launcher.array_parallelism == 16
    assert "SlurmLauncher" in launcher._target_
