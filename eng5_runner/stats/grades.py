"""Grade scales for the statistics API.

The single source of truth is :mod:`eng5_runner.inputs.grade_scales` (used by the inventory and the
reports too); this module re-exports it so ``eng5_runner.stats`` is self-contained and an
``except UnknownGradeError`` catches the same class everywhere.

Scales, best → worst: ``eng5_np_legacy_9_step`` = A, B, C+, C-, D+, D-, E+, E-, F+ and
``full_16_step`` = A, A-, B+, B, B-, C+, C, C-, D+, D, D-, E+, E, E-, F+, F.
"""

from __future__ import annotations

from eng5_runner.inputs.grade_scales import (
    GRADE_SCALES,
    UnknownGradeError,
    grade_rank,
    normalise_grade,
)

__all__ = ["FULL_SCALE", "GRADE_SCALES", "UnknownGradeError", "grade_rank", "normalise_grade"]

#: The scale on which :func:`eng5_runner.stats.tau_upstream` orders grade labels.
FULL_SCALE = "full_16_step"
