"""Cassettes: judgements as JSONL files that can live in git and drive CI replays.

One JSON object per line, sorted by cache key: the :class:`JudgementRecord`
fields (including ``cache_key``) plus ``key_inputs``, the hashes and
parameters the key was computed from. Only successful judgements are exported.
``main`` is the ``eng5-runner-cassette`` command (export / import).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from pydantic import ValidationError

from eng5_runner.engine.records import JudgementRecord
from eng5_runner.engine.store import KeyInputs, MemoryStore, cache_key
from eng5_runner.errors import InputError, RunnerError
from eng5_runner.output.atomic import write_text_atomic


def cassette_line(record: JudgementRecord, inputs: KeyInputs) -> str:
    """One cassette line (no newline)."""
    data = record.model_dump(mode="json")
    data["cached"] = False
    data["key_inputs"] = inputs
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def export_cassette(
    store_path: Path | str, out_path: Path, keys: Iterable[str] | None = None
) -> int:
    """Write all stored successes (or those with ``keys``) to ``out_path``; return the count.

    ``store_path`` is a SQLite file or ``pg:[VAR]`` (see :mod:`.store_cli`).
    """
    from eng5_runner.engine.store_cli import open_location

    store = open_location(store_path, read_only=True)
    try:
        lines = [cassette_line(record, inputs) for record, inputs in store.rows(keys)]
    finally:
        store.close()
    write_text_atomic(Path(out_path), "".join(line + "\n" for line in lines))
    return len(lines)


def read_cassette(path: Path) -> Iterator[tuple[JudgementRecord, KeyInputs]]:
    """Records and key inputs from a cassette; InputError names the bad line."""
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"cassette {path} not found",
            hint="export one with eng5-runner-cassette export, or fix cache.path",
        )
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                inputs = data.pop("key_inputs", None) or {}
                record = JudgementRecord.model_validate(data)
            except (json.JSONDecodeError, AttributeError, ValidationError) as exc:
                first = str(exc).splitlines()[0]
                raise InputError(f"{path}:{line_no}: not a cassette line ({first})") from None
            if not record.succeeded or not record.cache_key:
                raise InputError(
                    f"{path}:{line_no}: cassettes hold successful judgements with a cache_key only"
                )
            if inputs and cache_key(inputs) != record.cache_key:
                raise InputError(
                    f"{path}:{line_no}: cache_key does not match key_inputs (edited by hand?)"
                )
            yield record, inputs


def load_cassette(path: Path) -> MemoryStore:
    """A cassette as a read-only in-memory store (replay mode)."""
    return MemoryStore(path, read_cassette(path))


def import_cassette(path: Path, store_path: Path | str) -> int:
    """Add a cassette's judgements to a store (existing keys are kept); return lines read."""
    from eng5_runner.engine.store_cli import open_location

    rows = list(read_cassette(path))  # a bad line stops the import before anything is written
    store = open_location(store_path)
    try:
        store.import_rows(rows)
    finally:
        store.close()
    return len(rows)


def keys_from_comparisons(path: Path) -> list[str]:
    """Cache keys of the successful records in a run's ``comparisons.jsonl``."""
    keys = []
    with Path(path).open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = JudgementRecord.model_validate_json(line)
                if record.succeeded and record.cache_key:
                    keys.append(record.cache_key)
    return keys


def main(argv: list[str] | None = None) -> int:
    """``export STORE OUT [--run comparisons.jsonl]`` | ``import CASSETTE STORE``."""
    parser = argparse.ArgumentParser(prog="eng5-runner-cassette", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    export = sub.add_parser("export", help="store → JSONL cassette")
    export.add_argument("store", help="SQLite file, or pg: / pg:VAR (URL in that env var)")
    export.add_argument("out", type=Path)
    export.add_argument("--run", type=Path, help="only the judgements of this comparisons.jsonl")
    load = sub.add_parser("import", help="JSONL cassette → store")
    load.add_argument("cassette", type=Path)
    load.add_argument("store", help="SQLite file, or pg: / pg:VAR (URL in that env var)")
    args = parser.parse_args(argv)
    try:
        if args.command == "export":
            keys = keys_from_comparisons(args.run) if args.run else None
            count = export_cassette(args.store, args.out, keys)
            print(f"wrote {count} judgements to {args.out}")
        else:
            count = import_cassette(args.cassette, args.store)
            print(f"imported {count} judgements into {args.store}")
    except RunnerError as exc:
        print(f"error: {exc.one_line()}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
