"""Essay ids sent to CJ: opaque, collision-checked, at most 36 chars, namespaced per batch.

CJ keys its essay table on the id alone, so a rerun that reuses ids re-parents
the earlier batch's rows (UPSTREAM §8.21). Prefixing the first 8 hex digits of
the batch UUID keeps every run's ids apart; the rest is the inventory's opaque
id (a text hash), never a grade or a file name.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from uuid import UUID

from eng5_runner.huleedu.contracts import ESSAY_ID_MAX
from eng5_runner.inputs.inventory import Essay

_OPAQUE = re.compile(r"^[as]?[0-9a-f]{12,26}$")
_CJ_ANCHOR = re.compile(r"^ANCHOR_([^_]+)_")


class IdCollisionError(ValueError):
    """Two essays would get the same CJ id (a bug: inventory ids are unique)."""


def cj_essay_id(batch_uuid: UUID, essay_id: str) -> str:
    """``<8 hex of batch>-<opaque tail>``; the tail is re-hashed unless it is already opaque."""
    tail = (
        essay_id
        if _OPAQUE.match(essay_id)
        else hashlib.sha256(essay_id.encode("utf-8")).hexdigest()[:16]
    )
    cj_id = f"{batch_uuid.hex[:8]}-{tail}"
    assert len(cj_id) <= ESSAY_ID_MAX
    return cj_id


@dataclass
class CjIdMap:
    """Both directions between inventory essay ids and the ids CJ sees."""

    batch_uuid: UUID
    to_cj: dict[str, str] = field(default_factory=dict)
    to_inventory: dict[str, str] = field(default_factory=dict)
    cj_anchor_refs: dict[str, str] = field(default_factory=dict)
    """CJ anchor reference id → inventory id, for the ``ANCHOR_<ref>_<hex>`` ids of execute."""

    def cj(self, essay_id: str) -> str:
        return self.to_cj[essay_id]

    def inventory_id(self, cj_id: str) -> str | None:
        """Inventory id behind a CJ id; DB anchors via their reference id; else None."""
        if cj_id in self.to_inventory:
            return self.to_inventory[cj_id]
        match = _CJ_ANCHOR.match(cj_id)
        if match:
            return self.cj_anchor_refs.get(match.group(1))
        return None

    def add_anchor_ref(self, ref_id: str, essay_id: str) -> None:
        """Remember that CJ's anchor reference ``ref_id`` holds inventory essay ``essay_id``."""
        self.cj_anchor_refs[str(ref_id)] = essay_id


def assign_cj_ids(batch_uuid: UUID, essays: Iterable[Essay]) -> CjIdMap:
    """Give every essay its CJ id; raise IdCollisionError on any clash."""
    id_map = CjIdMap(batch_uuid=batch_uuid)
    for essay in essays:
        if essay.essay_id in id_map.to_cj:
            raise IdCollisionError(f"inventory essay id {essay.essay_id} appears twice")
        cj_id = cj_essay_id(batch_uuid, essay.essay_id)
        if cj_id in id_map.to_inventory:
            other = id_map.to_inventory[cj_id]
            raise IdCollisionError(f"essays {other} and {essay.essay_id} both map to CJ id {cj_id}")
        id_map.to_cj[essay.essay_id] = cj_id
        id_map.to_inventory[cj_id] = essay.essay_id
    return id_map
