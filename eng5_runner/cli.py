"""The ``eng5-runner`` command: the only ``@hydra.main`` in the project."""

from __future__ import annotations

from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

import eng5_runner  # noqa: F401  (registers the config resolvers)

CONF_DIR = Path(__file__).resolve().parent.parent / "conf"


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="config")
def _task(cfg: DictConfig) -> int:
    from eng5_runner.run import run_from_cfg

    hydra_cfg = HydraConfig.get()
    return run_from_cfg(
        cfg,
        Path(hydra_cfg.runtime.output_dir),
        list(hydra_cfg.overrides.task),
        multirun=hydra_cfg.mode == RunMode.MULTIRUN,
    )


def main() -> None:
    """Console-script entry point."""
    _task()


if __name__ == "__main__":
    main()
