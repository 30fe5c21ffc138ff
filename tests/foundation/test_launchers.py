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


def test_ray_preset_composes() -> None:
    if importlib.util.find_spec("hydra_plugins.hydra_ray_launcher") is None:
        pytest.skip("hydra-ray-launcher is not installed")
    cfg = compose_cfg(["hydra/launcher=eng5_ray"], return_hydra=True)
    launcher = cfg.hydra.launcher
    assert "RayLauncher" in launcher._target_
    # a running cluster refuses the launcher's object_store_memory default: the preset nulls it
    assert (
        "object_store_memory" in launcher.ray.init and launcher.ray.init.object_store_memory is None
    )
    assert launcher.ray.remote.num_cpus == 1 and launcher.ray.remote.max_calls == 1
