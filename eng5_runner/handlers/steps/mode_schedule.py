"""The comparison schedule each mode makes (no network, no judge)."""

from __future__ import annotations

from eng5_runner.engine.adaptive import initial_round
from eng5_runner.engine.pairing import boundary_schedule, design_for
from eng5_runner.engine.records import PairRequest
from eng5_runner.errors import InputError
from eng5_runner.inputs.boundary_pairs import resolve_boundary_pairs
from eng5_runner.inputs.inventory import Essay, RunnerInventory
from eng5_runner.settings.models import RunnerMode, RunnerSettings


def essays_under_test(settings: RunnerSettings, inventory: RunnerInventory) -> tuple[Essay, ...]:
    """Anchors for anchor-align (GUEST), anchors + students for execute."""
    if settings.mode is RunnerMode.EXECUTE:
        return inventory.anchors + inventory.students
    return inventory.anchors


def check_anchors(inventory: RunnerInventory) -> None:
    """Anchor-based modes need at least two graded anchors."""
    if len(inventory.anchors) < 2:
        raise InputError(
            f"dataset.anchors_dir={inventory.anchors_dir}: found {len(inventory.anchors)} "
            "anchor essay(s); at least 2 are needed",
            hint="add graded anchor essays (.txt .md .docx .pdf)",
        )


def build_schedule(settings: RunnerSettings, inventory: RunnerInventory) -> list[PairRequest]:
    """The ordered list of comparisons the run will make."""
    check_anchors(inventory)
    if settings.mode is RunnerMode.BOUNDARY_TEST:
        pairs = resolve_boundary_pairs(settings.boundary, inventory)
        return boundary_schedule(
            [(h.essay_id, lo.essay_id) for h, lo in pairs], settings.boundary.iterations
        )
    ids = [essay.essay_id for essay in essays_under_test(settings, inventory)]
    if settings.pairing.design == "adaptive":  # round 0 only; later rounds: engine.adaptive
        return initial_round(ids, settings.pairing)
    return design_for(ids, settings.pairing)


def planned_mode(settings: RunnerSettings) -> RunnerMode:
    """The mode whose schedule plan/dry-run show: boundary-test when pairs are set."""
    if settings.mode not in (RunnerMode.PLAN, RunnerMode.DRY_RUN):
        return settings.mode
    return RunnerMode.BOUNDARY_TEST if settings.boundary.pairs else RunnerMode.ANCHOR_ALIGN_TEST
