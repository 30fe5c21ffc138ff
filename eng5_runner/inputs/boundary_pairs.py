"""Resolve boundary-pair references (anchor id, file stem or unique grade) to anchors."""

from __future__ import annotations

from eng5_runner.errors import ConfigError
from eng5_runner.inputs.grade_scales import grade_rank, normalise_grade
from eng5_runner.inputs.grade_sheet import nfc
from eng5_runner.inputs.inventory import Essay, RunnerInventory
from eng5_runner.settings.models import BoundarySettings


def resolve_anchor(ref: str, inventory: RunnerInventory) -> Essay:
    """The anchor ``ref`` names: its id/label, its file stem, or a grade only it has."""
    ref = nfc(ref)
    for essay in inventory.anchors:
        if ref in (essay.label, essay.stem, nfc(essay.source.path.name)):
            return essay
    by_grade = [e for e in inventory.anchors if e.grade == normalise_grade(ref)]
    if len(by_grade) == 1:
        return by_grade[0]
    if len(by_grade) > 1:
        names = ", ".join(e.label for e in by_grade)
        raise ConfigError(
            f"boundary.pairs: grade '{ref}' is ambiguous ({len(by_grade)} anchors have it)",
            hint=f"name one of: {names}",
        )
    known = ", ".join(e.label for e in inventory.anchors)
    raise ConfigError(f"boundary.pairs: unknown anchor '{ref}'", hint=f"known anchors: {known}")


def resolve_boundary_pairs(
    boundary: BoundarySettings, inventory: RunnerInventory
) -> list[tuple[Essay, Essay]]:
    """(higher, lower) anchor pairs; checks that 'higher' really is graded above 'lower'."""
    if not boundary.pairs:
        raise ConfigError(
            "boundary-test needs boundary pairs",
            hint="pick a set (boundary=sample) or set "
            """'boundary.pairs="HIGHER:LOWER,HIGHER:LOWER"'""",
        )
    resolved: list[tuple[Essay, Essay]] = []
    seen: set[tuple[str, str]] = set()
    for pair in boundary.pairs:
        higher = resolve_anchor(pair.higher, inventory)
        lower = resolve_anchor(pair.lower, inventory)
        text = f"{pair.higher}:{pair.lower}"
        if higher.essay_id == lower.essay_id:
            raise ConfigError(f"boundary.pairs: {text} compares an anchor with itself")
        assert higher.grade is not None and lower.grade is not None
        if grade_rank(higher.grade, inventory.grade_scale) >= grade_rank(
            lower.grade, inventory.grade_scale
        ):
            raise ConfigError(
                f"boundary.pairs: in {text} the higher anchor's grade {higher.grade} is not "
                f"above the lower anchor's grade {lower.grade}",
                hint="write HIGHER:LOWER with the better-graded anchor first",
            )
        key = (higher.essay_id, lower.essay_id)
        if key in seen:
            raise ConfigError(f"boundary.pairs: {text} is listed twice")
        seen.add(key)
        resolved.append((higher, lower))
    return resolved
