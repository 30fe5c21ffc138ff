"""The run artefact: one JSON document per run, validated against its published schema.

Schema: ``eng5_runner/schemas/artefact.schema.json`` (package data), published
unchanged as ``docs/artefact.schema.json``; version :data:`SCHEMA_VERSION`.

Checksum procedure (``validation.artefact_checksum``): set the field to ``""``,
serialise the whole artefact with ``json.dumps(data, sort_keys=True,
separators=(",", ":"), ensure_ascii=False, allow_nan=False)``, encode as UTF-8
and take the lowercase hex SHA-256. :func:`verify_checksum` re-does exactly that.

Lean at any size (schema 3): pairwise data is sparse (``analysis.pair_wins``, never an
n × n matrix); the document is sealed in place with one serialisation, no copy; it is
validated in time linear in its size (jsonschema for the structure, compiled pydantic
checks for the per-item arrays, :mod:`eng5_runner.reports.artefact.items`); and arrays
longer than :data:`COMPACT_ARRAY_MIN` are written one compact item per line.
Artefacts of schema 2 (dense ``analysis.win_matrix``) still read, verify and validate
against their own version's rules (:func:`validate_artefact`).
"""

from eng5_runner.reports.artefact.build import ArtefactStatus, build_artefact
from eng5_runner.reports.artefact.checksum import (
    CHECKSUM_PROCEDURE,
    artefact_checksum,
    seal_artefact,
    verify_checksum,
)
from eng5_runner.reports.artefact.schema import (
    SCHEMA_RESOURCE,
    SCHEMA_VERSION,
    legacy_schema,
    load_schema,
)
from eng5_runner.reports.artefact.serialise import COMPACT_ARRAY_MIN, dumps_artefact, write_artefact
from eng5_runner.reports.artefact.validate import validate_artefact

__all__ = [
    "ArtefactStatus",
    "CHECKSUM_PROCEDURE",
    "COMPACT_ARRAY_MIN",
    "SCHEMA_RESOURCE",
    "SCHEMA_VERSION",
    "artefact_checksum",
    "build_artefact",
    "dumps_artefact",
    "legacy_schema",
    "load_schema",
    "seal_artefact",
    "validate_artefact",
    "verify_checksum",
    "write_artefact",
]
