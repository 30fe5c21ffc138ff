"""Validation linear in the document: jsonschema for the structure, pydantic for the arrays."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from eng5_runner.errors import ArtefactError
from eng5_runner.reports.artefact.checksum import canonical_json, json_pointer
from eng5_runner.reports.artefact.items import FAST_ARRAYS, check_items
from eng5_runner.reports.artefact.schema import legacy_schema, load_schema, schema_major


def _set_aside(data: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[tuple[str, ...], Any]]]:
    """A shallow view of ``data`` with the per-item arrays emptied, and those arrays."""
    view = dict(data)
    arrays: list[tuple[tuple[str, ...], Any]] = []
    for path in FAST_ARRAYS:
        parent: Any = view
        for key in path[:-1]:
            child = parent.get(key) if isinstance(parent, dict) else None
            if not isinstance(child, Mapping):
                parent = None
                break
            parent[key] = parent = dict(child)
        if isinstance(parent, dict) and isinstance(parent.get(path[-1]), list):
            arrays.append((path, parent[path[-1]]))
            parent[path[-1]] = []
    return view, arrays


def check_content(data: Mapping[str, Any]) -> None:
    """Schema rules for ``data``'s own schema version; linear in the document's size."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    schema = legacy_schema() if schema_major(data) == 2 else load_schema()
    view, arrays = _set_aside(data)
    error = best_match(Draft202012Validator(schema).iter_errors(view))
    if error is not None:
        raise ArtefactError(
            f"artefact invalid at {json_pointer(list(error.absolute_path))}: {error.message}",
            hint="this is a bug in the runner; please report it with the run directory",
        )
    for path, items in arrays:
        bad = check_items(path, items)
        if bad is not None:
            raise ArtefactError(
                f"artefact invalid at {json_pointer(bad[0])}: {bad[1]}",
                hint="this is a bug in the runner; please report it with the run directory",
            )


def validate_artefact(data: Mapping[str, Any]) -> None:
    """Raise :class:`ArtefactError` naming the first offending JSON pointer and why.

    Reads schema 3 and schema 2 artefacts (the latter with their dense win matrix).
    """
    canonical = canonical_json(data)  # also rejects nan / infinity, naming where
    check_content(data)
    stored = data["validation"]["artefact_checksum"]
    if stored and stored != hashlib.sha256(canonical.encode("utf-8")).hexdigest():
        raise ArtefactError(
            "artefact invalid at /validation/artefact_checksum: the checksum "
            "does not match the content"
        )
