"""Expert grade scales (best → worst) and label handling; no heavy imports."""

from __future__ import annotations

FULL_16_STEP: tuple[str, ...] = (
    "A",
    "A-",
    "B+",
    "B",
    "B-",
    "C+",
    "C",
    "C-",
    "D+",
    "D",
    "D-",
    "E+",
    "E",
    "E-",
    "F+",
    "F",
)
LEGACY_9_STEP: tuple[str, ...] = ("A", "B", "C+", "C-", "D+", "D-", "E+", "E-", "F+")

GRADE_SCALES: dict[str, tuple[str, ...]] = {
    "eng5_np_legacy_9_step": LEGACY_9_STEP,
    "full_16_step": FULL_16_STEP,
}


class UnknownGradeError(ValueError):
    """A grade label that is not on the chosen scale."""


def normalise_grade(label: str) -> str:
    """Canonical spelling of a grade label: ``" c+ "`` → ``"C+"``."""
    return label.strip().upper().replace("−", "-").replace("–", "-")


def grade_rank(label: str, scale: str = "eng5_np_legacy_9_step") -> int:
    """Position of ``label`` in ``scale``'s best → worst order (A = 0)."""
    try:
        order = GRADE_SCALES[scale]
    except KeyError:
        raise UnknownGradeError(
            f"unknown grade scale '{scale}' (known: {', '.join(GRADE_SCALES)})"
        ) from None
    canonical = normalise_grade(label)
    if canonical not in order:
        raise UnknownGradeError(
            f"unknown grade '{label}' for scale '{scale}' (valid: {', '.join(order)})"
        )
    return order.index(canonical)
