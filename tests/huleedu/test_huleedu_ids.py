"""CJ essay ids: opaque, ≤ 36 chars, namespaced per batch, collision-checked."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from eng5_runner.huleedu.ids import IdCollisionError, assign_cj_ids, cj_essay_id
from eng5_runner.inputs.inventory import Essay, FileRecord, RunnerInventory
from eng5_runner.settings.models import RunnerMode

from .conftest import huleedu_settings, load_inventory


@pytest.fixture
def inventory(tmp_path: Path) -> RunnerInventory:
    return load_inventory(huleedu_settings(tmp_path, RunnerMode.EXECUTE, content_url="http://x"))


def test_ids_are_short_opaque_and_namespaced(inventory: RunnerInventory) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    map_1 = assign_cj_ids(first, inventory.essays)
    map_2 = assign_cj_ids(second, inventory.essays)
    for essay in inventory.essays:
        cj_1, cj_2 = map_1.cj(essay.essay_id), map_2.cj(essay.essay_id)
        assert len(cj_1) <= 36 and cj_1 != cj_2
        assert cj_1.startswith(first.hex[:8] + "-")
        lowered = cj_1.lower()
        assert essay.stem.lower() not in lowered and essay.label.lower() not in lowered
        assert essay.grade is None or f"_{essay.grade.lower()}" not in lowered
        assert not cj_1.startswith("ANCHOR_")  # CJ treats that prefix as a DB anchor
        assert map_1.inventory_id(cj_1) == essay.essay_id
    assert len(set(map_1.to_cj.values())) == len(inventory.essays)


def test_non_opaque_inventory_ids_are_hashed() -> None:
    batch = uuid.uuid4()
    cj = cj_essay_id(batch, "anchor_essay_eng_5_17_vt_003_E-")
    assert "E-" not in cj and "anchor" not in cj and len(cj) <= 36


def _essay(essay_id: str, label: str) -> Essay:
    return Essay(
        essay_id=essay_id,
        label=label,
        stem=label,
        role="anchor",
        grade="A",
        text="text",
        source=FileRecord(path=Path(f"{label}.txt"), exists=False),
    )


def test_collisions_are_refused() -> None:
    batch = uuid.uuid4()
    with pytest.raises(IdCollisionError):
        assign_cj_ids(batch, [_essay("a0123456789abcde", "x"), _essay("a0123456789abcde", "y")])


def test_db_anchor_ids_map_back_through_reference_ids(inventory: RunnerInventory) -> None:
    id_map = assign_cj_ids(uuid.uuid4(), inventory.students)
    anchor = inventory.anchors[0]
    id_map.add_anchor_ref("42", anchor.essay_id)
    assert id_map.inventory_id("ANCHOR_42_1A2B3C4D") == anchor.essay_id
    assert id_map.inventory_id("ANCHOR_43_1A2B3C4D") is None
    assert id_map.inventory_id("unknown") is None
