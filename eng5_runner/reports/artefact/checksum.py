"""The artefact checksum: SHA-256 of the canonical JSON with the checksum field emptied."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from eng5_runner.errors import ArtefactError

CHECKSUM_PROCEDURE = (
    "sha256 over UTF-8 json.dumps(artefact, sort_keys=True, separators=(',', ':'), "
    "ensure_ascii=False, allow_nan=False) with validation.artefact_checksum set to ''"
)


def canonical_json(data: Mapping[str, Any]) -> str:
    """The checksummed serialisation, with the checksum field emptied (no deep copy)."""
    blank = dict(data)
    blank["validation"] = {**(data.get("validation") or {}), "artefact_checksum": ""}
    try:
        return json.dumps(
            blank, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except ValueError:
        bad = _non_finite(blank)
        where = json_pointer(bad) if bad is not None else "/"
        raise ArtefactError(
            f"artefact invalid at {where}: nan or infinity is not JSON",
            hint="this is a bug in the runner; please report it with the run directory",
        ) from None


def artefact_checksum(data: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON with the checksum field emptied (see module doc)."""
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


def verify_checksum(data: Mapping[str, Any]) -> bool:
    """True when ``validation.artefact_checksum`` matches the content."""
    stored = data.get("validation", {}).get("artefact_checksum")
    return bool(stored) and stored == artefact_checksum(data)


def seal_artefact(data: dict[str, Any]) -> dict[str, Any]:
    """Set ``validation.artefact_checksum`` in place (one serialisation) and return ``data``."""
    checksum = artefact_checksum(data)
    data["validation"] = {**data.get("validation", {}), "artefact_checksum": checksum}
    return data


def json_pointer(parts: Sequence[object]) -> str:
    """RFC 6901 JSON pointer; the root is shown as ``/``."""
    escaped = [str(p).replace("~", "~0").replace("/", "~1") for p in parts]
    return "/" + "/".join(escaped)


def _non_finite(value: Any, path: tuple[object, ...] = ()) -> tuple[object, ...] | None:
    if isinstance(value, float) and not math.isfinite(value):
        return path
    items: Any = (
        value.items()
        if isinstance(value, Mapping)
        else (enumerate(value) if isinstance(value, list | tuple) else ())
    )
    for key, item in items:
        found = _non_finite(item, (*path, key))
        if found is not None:
            return found
    return None
