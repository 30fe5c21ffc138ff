"""Errors raised inside a sweep launcher become one line; errors elsewhere keep their traceback."""

from __future__ import annotations

import joblib
import pytest

from eng5_runner.settings.launcher_errors import launcher_error


def test_an_error_raised_inside_the_launcher_library_is_explained() -> None:
    with pytest.raises(ValueError) as caught:
        joblib.Parallel(n_jobs=0)(joblib.delayed(abs)(x) for x in (1, 2))
    error = launcher_error(caught.value)
    assert error is not None and error.exit_code == 1
    assert "sweep launcher failed (ValueError: n_jobs == 0" in error.one_line()
    assert "hydra.launcher" in error.one_line()


def test_an_error_raised_in_our_own_code_is_left_alone() -> None:
    with pytest.raises(KeyError) as caught:
        {}["missing"]
    assert launcher_error(caught.value) is None
