"""Grade colours and figure subtitles shared by the PNG plots and the HTML reports.

Ordered from the best grade (blues) through greens, yellows and oranges to
reds and purples, with lightness alternating between neighbours, so two
adjacent grades never look alike (CIE76 ΔE ≥ 20 between neighbours on both
scales; see tests/reports/html/test_palette.py). Grades off the scale are grey.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eng5_runner.inputs.grade_scales import GRADE_SCALES, normalise_grade

if TYPE_CHECKING:
    from eng5_runner.reports.context import ReportContext

UNKNOWN_GRADE_COLOUR = "#8c8c8c"

#: One colour per grade of each scale, best → worst.
SCALE_COLOURS: dict[str, tuple[str, ...]] = {
    "eng5_np_legacy_9_step": (
        "#1f4e9c",  # A
        "#56b4e9",  # B
        "#117a65",  # C+
        "#8fd175",  # C-
        "#e0a800",  # D+
        "#f26b1d",  # D-
        "#b8181e",  # E+
        "#e377c2",  # E-
        "#6a3d9a",  # F+
    ),
    "full_16_step": (
        "#08306b",  # A
        "#4f9bd9",  # A-
        "#1f5fa8",  # B+
        "#7fd0c8",  # B
        "#0f7c6b",  # B-
        "#9bd36a",  # C+
        "#3d8b2f",  # C
        "#e6c619",  # C-
        "#9a7a00",  # D+
        "#f4a259",  # D
        "#d9480f",  # D-
        "#f28b82",  # E+
        "#b3121b",  # E
        "#e377c2",  # E-
        "#7b2d8e",  # F+
        "#4a2a1a",  # F
    ),
}

#: Inversions, failures and other warnings (never a grade colour).
ALERT_COLOUR = "#d62728"


def grade_palette(scale: str) -> dict[str, str]:
    """Grade label → hex colour for ``scale`` (the 16-step colours for an unknown scale)."""
    grades = GRADE_SCALES.get(scale, GRADE_SCALES["full_16_step"])
    colours = SCALE_COLOURS.get(scale, SCALE_COLOURS["full_16_step"])
    return dict(zip(grades, colours, strict=True))


def grade_colour(grade: str | None, scale: str) -> str:
    """The colour of one grade label; grey when it is not on the scale."""
    if grade is None:
        return UNKNOWN_GRADE_COLOUR
    return grade_palette(scale).get(normalise_grade(grade), UNKNOWN_GRADE_COLOUR)


def rank_colour(rank: int, scale: str) -> str:
    """The colour of the grade at position ``rank`` (0 = best) of ``scale``."""
    colours = SCALE_COLOURS.get(scale, SCALE_COLOURS["full_16_step"])
    return colours[rank] if 0 <= rank < len(colours) else UNKNOWN_GRADE_COLOUR


def plot_subtitle(ctx: ReportContext) -> str:
    """One line naming the prompt, rubric and judge, for figure subtitles."""
    judge = f"{ctx.judge_provider}/{ctx.judge_model}" + (" (simulated)" if ctx.simulated else "")
    return (
        f"{ctx.batch_label} · prompt {ctx.system_prompt.name} · rubric {ctx.rubric.name} "
        f"· judge {judge}"
    )
