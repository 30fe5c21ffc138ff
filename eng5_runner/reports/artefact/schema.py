"""The artefact's published JSON schema (package data), and schema 2's rules derived from it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

SCHEMA_VERSION = "3.0.0"


SCHEMA_RESOURCE = "schemas/artefact.schema.json"


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    """The artefact JSON schema shipped with the package."""
    text = resources.files("eng5_runner").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def schema_major(data: Mapping[str, Any]) -> int | None:
    """The major version of ``data``'s ``schema_version`` (None if unreadable)."""
    version = data.get("schema_version")
    head = version.split(".", 1)[0] if isinstance(version, str) else ""
    return int(head) if head.isdigit() else None


@lru_cache(maxsize=1)
def legacy_schema() -> dict[str, Any]:
    """Schema 2 rules: today's schema with the 2.x version and the dense win matrix allowed."""
    schema = json.loads(json.dumps(load_schema()))
    schema["properties"]["schema_version"]["pattern"] = r"^2\.\d+\.\d+$"
    schema["properties"]["analysis"]["oneOf"][1]["properties"].pop("win_matrix", None)
    return schema
