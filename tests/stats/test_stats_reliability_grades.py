"""Scale separation reliability and grade scales."""

from __future__ import annotations

import pytest

from eng5_runner.stats import (
    GRADE_SCALES,
    UnknownGradeError,
    grade_rank,
    normalise_grade,
    scale_separation_reliability,
)


def test_ssr_values() -> None:
    # Var(θ) = 2 (ddof 1), mean SE² = 0.25
    assert scale_separation_reliability([1.0, -1.0], [0.5, 0.5]) == pytest.approx(0.875)
    assert scale_separation_reliability([0.1, -0.1], [1.0, 1.0]) == pytest.approx(-49.0)


def test_ssr_degenerate() -> None:
    assert scale_separation_reliability([1.0], [0.1]) == 0.0
    assert scale_separation_reliability([], []) == 0.0
    assert scale_separation_reliability([2.0, 2.0], [0.1, 0.1]) == 0.0
    with pytest.raises(ValueError):
        scale_separation_reliability([1.0, 2.0], [0.1])
    with pytest.raises(ValueError):
        scale_separation_reliability([1.0, float("inf")], [0.1, 0.1])


def test_grade_scales() -> None:
    legacy = GRADE_SCALES["eng5_np_legacy_9_step"]
    assert legacy == ("A", "B", "C+", "C-", "D+", "D-", "E+", "E-", "F+")
    assert GRADE_SCALES["full_16_step"][-1] == "F"
    assert [grade_rank(g) for g in legacy] == list(range(9))
    assert grade_rank("F", "full_16_step") == 15
    assert grade_rank(" c+ ") == 2
    assert normalise_grade(" c+ ") == "C+"


def test_unknown_grade_names_label_and_scale() -> None:
    with pytest.raises(UnknownGradeError, match="A-") as info:
        grade_rank("A-")  # not on the legacy scale
    assert isinstance(info.value, ValueError)
    assert "eng5_np_legacy_9_step" in str(info.value) and "C+" in str(info.value)
    with pytest.raises(UnknownGradeError):
        grade_rank("A", "no_such_scale")
