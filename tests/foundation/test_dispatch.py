"""The handler map covers every mode, with a config option and a docs section each."""

from __future__ import annotations

import re

import pytest

from eng5_runner.handlers.dispatch import HANDLER_MAP
from eng5_runner.handlers.protocols import ModeHandlerProtocol
from eng5_runner.settings.models import RunnerMode
from tests.conftest import CONF_DIR, REPO


@pytest.mark.parametrize("mode", list(RunnerMode))
def test_every_mode_has_handler_config_and_docs(mode: RunnerMode) -> None:
    handler = HANDLER_MAP[mode]()
    assert isinstance(handler, ModeHandlerProtocol)
    assert (CONF_DIR / "mode" / f"{mode.value}.yaml").is_file()
    docs = (REPO / "docs" / "modes.md").read_text(encoding="utf-8")
    assert re.search(rf"^## `{re.escape(mode.value)}`", docs, flags=re.M), mode.value


def test_handler_map_has_no_extra_modes() -> None:
    assert set(HANDLER_MAP) == set(RunnerMode)
