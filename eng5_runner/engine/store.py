"""The judgement store: cache, resume and replay, in one SQLite file.

Successful judgements are keyed by :func:`cache_key`, a sha256 over every
input that can change the answer; failures go to their own table with the
reason and are never served. The file is shared safely by several processes
(WAL journal, busy timeout, every write its own short transaction), so
parallel sweep jobs can use one store. In replay mode the store is opened
read-only, or a ``.jsonl`` cassette is loaded into memory.

One answer per comparison, even across processes: before judging, a run
*claims* the keys it needs (``claims`` table, one row per in-flight key, kept
alive by a heartbeat). A key claimed by a live process is waited for and then
served from the store; a claim whose heartbeat is older than its TTL (its
process died) is taken over. ``put`` returns what the store holds, so a run's
records always equal the store even if two answers raced.

:class:`JudgementStore` is the contract; :class:`SqliteStore` (the embedded
default) and :class:`~eng5_runner.engine.store_postgres.PostgresStore`
(``cache.backend=postgres``, shared by the nodes of a cluster) implement it.
Both record :data:`SCHEMA_VERSION` in a ``schema_version`` table and refuse a
store written by a newer runner.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eng5_runner.engine.records import JudgementRecord
from eng5_runner.errors import ConfigError, InputError, OutputError
from eng5_runner.settings.models import CacheSettings

KeyInputs = dict[str, Any]
Rows = Iterator[tuple[JudgementRecord, KeyInputs]]
_SCHEMA = """
CREATE TABLE IF NOT EXISTS judgements (
    cache_key  TEXT PRIMARY KEY,
    record     TEXT NOT NULL,
    key_inputs TEXT NOT NULL,
    stored_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS failures (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    cache_key     TEXT NOT NULL,
    comparison_id TEXT NOT NULL,
    reason        TEXT NOT NULL,
    record        TEXT NOT NULL,
    stored_at     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS failures_by_key ON failures (cache_key);
CREATE TABLE IF NOT EXISTS claims (
    cache_key  TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    claimed_at REAL NOT NULL,
    heartbeat  REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
"""
_CHUNK = 500
SCHEMA_VERSION = 1
"""Layout of the store's tables; a store with a higher number is refused (exit 5)."""


def text_sha256(text: str | None) -> str | None:
    """sha256 of a text (None stays None: "not shown to the judge")."""
    return None if text is None else hashlib.sha256(text.encode()).hexdigest()


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: object) -> str:
    """Key-sorted compact JSON (one shared encoder: ``json.dumps`` with options builds one
    per call, most of its cost for small values)."""
    return _CANONICAL.encode(value)


def key_inputs(
    *,
    provider: str,
    model: str,
    generation_params: Mapping[str, object],
    template: str,
    system_prompt_sha256: str,
    rubric_sha256: str,
    assignment_sha256: str | None,
    essay_a_sha256: str,
    essay_b_sha256: str,
    iteration: int,
) -> KeyInputs:
    """What a judgement depends on; texts by their sha256 (slot order = A/B fields).

    ``template`` is the prompt layout version (:data:`judges.prompt.PROMPT_TEMPLATE`).
    """
    return {
        "provider": provider,
        "model": model,
        "generation_params": dict(generation_params),
        "prompt_template": template,
        "system_prompt_sha256": system_prompt_sha256,
        "rubric_sha256": rubric_sha256,
        "assignment_sha256": assignment_sha256,
        "essay_a_sha256": essay_a_sha256,
        "essay_b_sha256": essay_b_sha256,
        "iteration": iteration,
    }


def cache_key(inputs: KeyInputs) -> str:
    """sha256 of the canonical JSON of :func:`key_inputs`."""
    return hashlib.sha256(canonical_json(inputs).encode()).hexdigest()


class JudgementStore:
    """Stored successes (served) and failures (kept for the record only)."""

    path: Path
    read_only: bool
    blocking_io: bool = False
    """True when calls wait on a network (and retry it): the engine runs them in a thread."""

    def get_many(self, keys: Iterable[str]) -> dict[str, JudgementRecord]:
        """Stored successes among ``keys``, marked ``cached=True``."""
        raise NotImplementedError

    def put(self, record: JudgementRecord, inputs: KeyInputs) -> JudgementRecord | None:
        """Store one finished judgement durably (success or failure).

        Returns the stored success when another answer was stored first (else None).
        """
        raise NotImplementedError

    def rows(self, keys: Iterable[str] | None = None) -> Rows:
        """Stored successes with their key inputs, by cache key."""
        raise NotImplementedError

    def claim(self, keys: Iterable[str], owner: str, ttl_s: float) -> set[str]:
        """Claim ``keys`` for ``owner``; return those it now holds (none stored yet)."""
        return set(keys)

    def claimed_elsewhere(self, keys: Iterable[str], owner: str, ttl_s: float) -> set[str]:
        """Keys among ``keys`` with a live claim by another owner."""
        return set()

    def heartbeat(self, owner: str) -> None:
        """Keep ``owner``'s claims alive."""

    def release(self, owner: str) -> None:
        """Drop every claim ``owner`` still holds."""

    def failures(self, key: str | None = None) -> list[JudgementRecord]:
        """Recorded failures (all, or those of one cache key), oldest first."""
        return []

    def count(self) -> int:
        """Number of stored successes."""
        return sum(1 for _ in self.rows())

    def import_rows(
        self,
        rows: Iterable[tuple[JudgementRecord, KeyInputs]],
        failures: Iterable[JudgementRecord] = (),
    ) -> tuple[int, int]:
        """Add successes (existing keys kept) and failures (identical ones skipped).

        One transaction where the backend allows; returns (successes, failures) added.
        """
        raise NotImplementedError

    def flush(self) -> None:
        """Commit writes a backend queues (a no-op where every write is its own commit)."""

    def close(self) -> None:
        """Release the store."""


def schema_mismatch(where: str, found: int) -> OutputError:
    """The one line for a store written by another runner version."""
    if found > SCHEMA_VERSION:
        return OutputError(
            f"{where}: store schema version {found} is newer than this runner's ({SCHEMA_VERSION})",
            hint="upgrade eng5-runner on this machine, or point the run at another store",
        )
    return OutputError(
        f"{where}: store schema version {found} is unknown to this runner ({SCHEMA_VERSION})",
        hint="open it once with read-write access so the runner migrates it, or use another store",
    )


_COLUMNS = {
    "judgements": {"cache_key", "record", "key_inputs", "stored_at"},
    "failures": {"id", "cache_key", "comparison_id", "reason", "record", "stored_at"},
}

FLUSH_ROWS = 500
"""Queued judgements committed together (see :meth:`SqliteStore.put`)."""
FLUSH_AFTER_S = 0.2
"""Longest a judgement waits in the queue while others keep arriving."""


class SqliteStore(JudgementStore):
    """A SQLite file; one connection per store object, opened once.

    Opening checks the file: a plain-text, corrupt, read-only or foreign-schema
    file is an :class:`~eng5_runner.errors.OutputError` naming ``cache.path``.
    """

    def __init__(self, path: Path, *, read_only: bool = False, timeout_s: float = 30.0) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self._ok: list[tuple[str, str, str, str]] = []
        self._failed: list[tuple[str, str, str, str, str]] = []
        self._done: list[tuple[str]] = []
        self._flushed_at = time.monotonic()
        try:
            self._open(timeout_s)
        except sqlite3.Error as exc:
            from eng5_runner.output.failures import sqlite_error

            db = getattr(self, "db", None)
            if db is not None:
                db.close()
            raise sqlite_error(exc, self.path) from None
        except OSError as exc:
            from eng5_runner.output.failures import os_error

            raise os_error(exc) from None

    def _open(self, timeout_s: float) -> None:
        read_only = self.read_only
        if not read_only and self.path.exists() and not _writable(self.path):
            raise sqlite3.OperationalError("attempt to write a readonly database")
        if read_only:
            if not self.path.is_file():
                raise InputError(
                    f"cache.path={self.path}: judgement store not found",
                    hint="record it first with cache=read_write",
                )
            uri = self.path.resolve().as_uri() + "?mode=ro"
            self.db = sqlite3.connect(uri, uri=True, timeout=timeout_s, isolation_level=None)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            existed = self.path.is_file() and self.path.stat().st_size > 0
            self.db = sqlite3.connect(self.path, timeout=timeout_s, isolation_level=None)
            if existed:
                self._check_schema()  # before writing anything into someone else's file
            self._init_schema()
        self.db.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
        self._check_schema()
        self._check_version()

    def _check_version(self) -> None:
        """Stamp a new (or pre-version) store with SCHEMA_VERSION; refuse another number."""
        tables = {row[0] for row in self.db.execute("SELECT name FROM sqlite_master")}
        found = None
        if "schema_version" in tables:
            row = self.db.execute("SELECT MAX(version) FROM schema_version").fetchone()
            found = row[0] if row else None
        if found is None and not self.read_only:
            self.db.execute("BEGIN IMMEDIATE")
            if self.db.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 0:
                stamp = (SCHEMA_VERSION,)
                self.db.execute("INSERT INTO schema_version (version) VALUES (?)", stamp)
            self.db.execute("COMMIT")
        elif found is not None and int(found) != SCHEMA_VERSION:
            self.db.close()
            raise schema_mismatch(f"cache.path={self.path}", int(found))

    def _check_schema(self) -> None:
        """Refuse a SQLite file whose tables are not this runner's."""
        tables = {row[0] for row in self.db.execute("SELECT name FROM sqlite_master")}
        for table, wanted in _COLUMNS.items():
            found = {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}
            if not found and table == "failures" and (self.read_only or "judgements" in tables):
                continue
            if not found and not tables:
                continue  # an empty SQLite file: the schema is created next
            if not wanted <= found:
                self.db.close()
                raise OutputError(
                    f"cache.path={self.path}: a SQLite file of another program or schema "
                    f"(table {table!r} lacks {', '.join(sorted(wanted - found))})",
                    hint="point cache.path at a judgement store made by eng5-runner, or at a "
                    "new file",
                )

    def _init_schema(self) -> None:
        for attempt in range(50):
            try:
                self.db.execute("PRAGMA journal_mode = WAL")
                self.db.execute("PRAGMA synchronous = NORMAL")
                self.db.executescript(_SCHEMA)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == 49:
                    raise
                time.sleep(0.05)

    def get_many(self, keys: Iterable[str]) -> dict[str, JudgementRecord]:
        self.flush()
        found: dict[str, JudgementRecord] = {}
        wanted = list(dict.fromkeys(keys))
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT cache_key, record FROM judgements WHERE cache_key IN ({marks})"
            for key, text in self.db.execute(query, chunk):
                found[key] = JudgementRecord.model_validate_json(text).model_copy(
                    update={"cached": True}
                )
        return found

    def put(self, record: JudgementRecord, inputs: KeyInputs) -> JudgementRecord | None:
        """Store ``record``; return the stored success when another answer got there first.

        Rows are queued and committed together: when :data:`FLUSH_ROWS` are queued, when
        :data:`FLUSH_AFTER_S` have passed since the last commit (so a slow judge's answers
        are written one by one, as they come), before any read, before claims change, and
        on :meth:`close` (which every run reaches, also on Ctrl-C). One transaction per
        row cost ≈0.3 ms, a third of a 5,000-essay run. A success already stored by
        another run is found by a plain read (no lock) and returned instead; the claims
        (:meth:`claim`) keep two runs from judging the same key in the first place, and a
        claim is released only when its row is committed.
        """
        if self.read_only:
            raise ConfigError(f"cache.path={self.path} is open read-only (replay)")
        try:
            return self._put(record, inputs)
        except sqlite3.Error as exc:
            from eng5_runner.output.failures import sqlite_error

            raise sqlite_error(exc, self.path) from None

    def _put(self, record: JudgementRecord, inputs: KeyInputs) -> JudgementRecord | None:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        stored = record.model_copy(update={"cached": False}).model_dump_json()
        earlier: JudgementRecord | None = None
        if record.succeeded:
            earlier = self._stored(record.cache_key)
            if earlier is None:
                self._ok.append((record.cache_key, stored, canonical_json(inputs), now))
        else:
            self._failed.append(
                (record.cache_key, record.comparison_id, record.failure_reason or "", stored, now)
            )
        self._done.append((record.cache_key,))
        pending = len(self._done)
        if (
            self.db.in_transaction
            or pending >= FLUSH_ROWS
            or time.monotonic() - self._flushed_at >= FLUSH_AFTER_S
        ):
            self.flush()
        return earlier

    def _stored(self, key: str) -> JudgementRecord | None:
        """The committed success for ``key``, read without taking a lock."""
        row = self.db.execute(
            "SELECT record FROM judgements WHERE cache_key = ?", (key,)
        ).fetchone()
        if row is None:
            return None
        return JudgementRecord.model_validate_json(row[0]).model_copy(update={"cached": True})

    def claim(self, keys: Iterable[str], owner: str, ttl_s: float) -> set[str]:
        wanted = list(dict.fromkeys(keys))
        if self.read_only or not wanted:
            return set(wanted)
        self.flush()
        owned: set[str] = set()
        now = time.time()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute("DELETE FROM claims WHERE heartbeat < ?", (now - ttl_s,))
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                done = {
                    key
                    for (key,) in self.db.execute(
                        f"SELECT cache_key FROM judgements WHERE cache_key IN ({marks})", chunk
                    )
                }
                self.db.executemany(
                    "INSERT OR IGNORE INTO claims (cache_key, owner, claimed_at, heartbeat) "
                    "VALUES (?, ?, ?, ?)",
                    [(key, owner, now, now) for key in chunk if key not in done],
                )
                owned |= {
                    key
                    for (key,) in self.db.execute(
                        f"SELECT cache_key FROM claims WHERE owner = ? AND cache_key IN ({marks})",
                        [owner, *chunk],
                    )
                }
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise
        return owned

    def claimed_elsewhere(self, keys: Iterable[str], owner: str, ttl_s: float) -> set[str]:
        wanted = list(dict.fromkeys(keys))
        found: set[str] = set()
        cutoff = time.time() - ttl_s
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            found |= {
                key
                for (key,) in self.db.execute(
                    f"SELECT cache_key FROM claims WHERE owner != ? AND heartbeat >= ? "
                    f"AND cache_key IN ({marks})",
                    [owner, cutoff, *chunk],
                )
            }
        return found

    def heartbeat(self, owner: str) -> None:
        if not self.read_only:
            self.flush()
            self.db.execute("UPDATE claims SET heartbeat = ? WHERE owner = ?", (time.time(), owner))

    def release(self, owner: str) -> None:
        if not self.read_only:
            self.flush()
            with contextlib.suppress(sqlite3.Error):
                self.db.execute("DELETE FROM claims WHERE owner = ?", (owner,))

    def flush(self) -> None:
        """Commit the queued judgements (one transaction)."""
        if self._ok or self._failed or self._done:
            ok, failed, done = self._ok, self._failed, self._done
            own = not self.db.in_transaction
            if own:
                self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.executemany(
                    "INSERT INTO judgements (cache_key, record, key_inputs, stored_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (cache_key) DO NOTHING",
                    ok,
                )
                self.db.executemany(
                    "INSERT INTO failures (cache_key, comparison_id, reason, record, stored_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    failed,
                )
                self.db.executemany("DELETE FROM claims WHERE cache_key = ?", done)
                if own:
                    self.db.execute("COMMIT")
            except BaseException:
                if own and self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise
            self._ok, self._failed, self._done = [], [], []
        self._flushed_at = time.monotonic()

    def rows(self, keys: Iterable[str] | None = None) -> Rows:
        self.flush()
        if keys is None:
            query = "SELECT record, key_inputs FROM judgements ORDER BY cache_key"
            cursor = self.db.execute(query)
            for text, inputs in cursor:
                yield JudgementRecord.model_validate_json(text), json.loads(inputs)
            return
        wanted = sorted(set(keys))
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            query = (
                f"SELECT record, key_inputs FROM judgements WHERE cache_key IN ({marks}) "
                "ORDER BY cache_key"
            )
            for text, inputs in self.db.execute(query, chunk).fetchall():
                yield JudgementRecord.model_validate_json(text), json.loads(inputs)

    def failures(self, key: str | None = None) -> list[JudgementRecord]:
        """Recorded failures (all, or those of one cache key), oldest first."""
        self.flush()
        if key is None:
            cursor = self.db.execute("SELECT record FROM failures ORDER BY id")
        else:
            cursor = self.db.execute(
                "SELECT record FROM failures WHERE cache_key = ? ORDER BY id", (key,)
            )
        return [JudgementRecord.model_validate_json(t) for (t,) in cursor]

    def count(self) -> int:
        """Number of stored successes."""
        self.flush()
        return int(self.db.execute("SELECT COUNT(*) FROM judgements").fetchone()[0])

    def import_rows(
        self,
        rows: Iterable[tuple[JudgementRecord, KeyInputs]],
        failures: Iterable[JudgementRecord] = (),
    ) -> tuple[int, int]:
        if self.read_only:
            raise ConfigError(f"cache.path={self.path} is open read-only (replay)")
        self.flush()
        added = [0, 0]
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                before = self.count()
                for record, inputs in rows:
                    self._put(record, inputs)
                added[0] = self.count() - before
                for failure in failures:
                    stored = failure.model_copy(update={"cached": False}).model_dump_json()
                    seen = self.db.execute(
                        "SELECT 1 FROM failures WHERE cache_key = ? AND record = ?",
                        (failure.cache_key, stored),
                    ).fetchone()
                    if seen is None:
                        self._put(failure, {})
                        added[1] += 1
                self.db.execute("COMMIT")
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            from eng5_runner.output.failures import sqlite_error

            raise sqlite_error(exc, self.path) from None
        return added[0], added[1]

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self.db.close()


class MemoryStore(JudgementStore):
    """Read-only judgements held in memory (a loaded cassette)."""

    def __init__(self, path: Path, rows: Iterable[tuple[JudgementRecord, KeyInputs]]) -> None:
        self.path = Path(path)
        self.read_only = True
        self.data = {record.cache_key: (record, inputs) for record, inputs in rows}

    def get_many(self, keys: Iterable[str]) -> dict[str, JudgementRecord]:
        return {
            key: self.data[key][0].model_copy(update={"cached": True})
            for key in keys
            if key in self.data
        }

    def put(self, record: JudgementRecord, inputs: KeyInputs) -> JudgementRecord | None:
        raise ConfigError(f"cache.path={self.path} is a read-only cassette")

    def rows(self, keys: Iterable[str] | None = None) -> Rows:
        wanted = sorted(self.data) if keys is None else sorted(set(keys) & self.data.keys())
        for key in wanted:
            yield self.data[key]


def _writable(path: Path) -> bool:
    """The file and its directory can be written (WAL needs -wal/-shm files beside it)."""
    import os

    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def open_store(cache: CacheSettings) -> JudgementStore | None:
    """The store ``cache`` asks for: None when off, read-only in replay mode.

    A ``.jsonl`` ``cache.path`` in replay mode is a cassette whatever the backend.
    """
    if cache.mode == "off":
        return None
    is_cassette = cache.path.suffix.lower() == ".jsonl"
    if cache.backend == "postgres" and not (is_cassette and cache.mode == "replay"):
        from eng5_runner.engine.store_postgres import PostgresStore

        return PostgresStore.from_env(
            cache.url_env, read_only=cache.mode == "replay", retry_s=cache.retry_s
        )
    if cache.mode == "replay":
        if is_cassette:
            from eng5_runner.engine.cassette import load_cassette

            return load_cassette(cache.path)
        return SqliteStore(cache.path, read_only=True)
    if is_cassette:
        raise ConfigError(
            f"cache.path={cache.path}: a .jsonl cassette can only be replayed",
            hint="use cache=replay, or import it into a store (eng5-runner-cassette import)",
        )
    return SqliteStore(cache.path)
