"""``eng5-runner-store``: copy a judgement store between SQLite and PostgreSQL.

A *location* is a SQLite file path, or ``pg:`` for the PostgreSQL store whose
URL is in ``$ENG5_STORE_URL`` (``pg:OTHER_VAR`` names another variable). The
URL itself is never taken on the command line, so it stays out of shell
histories and process lists. Copying keeps what the target already holds:
successes by cache key, failures when an identical one is there.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from eng5_runner.engine.store import JudgementStore, SqliteStore
from eng5_runner.errors import RunnerError

PG_PREFIXES = ("pg:", "postgres:", "postgresql:")
DEFAULT_URL_ENV = "ENG5_STORE_URL"


def is_postgres(location: str | Path) -> bool:
    text = str(location)
    return text.startswith(PG_PREFIXES) and "//" not in text


def open_location(location: str | Path, *, read_only: bool = False) -> JudgementStore:
    """The store at ``location`` (a SQLite path, or ``pg:[VAR]``)."""
    text = str(location)
    if text.startswith(PG_PREFIXES) and "//" in text:
        from eng5_runner.errors import ConfigError

        raise ConfigError(
            "a PostgreSQL URL on the command line would leak into shell histories",
            hint=f"export {DEFAULT_URL_ENV}=<url> and write pg: (or pg:VAR for another variable)",
        )
    if is_postgres(text):
        from eng5_runner.engine.store_postgres import PostgresStore

        url_env = text.split(":", 1)[1] or DEFAULT_URL_ENV
        return PostgresStore.from_env(url_env, read_only=read_only)
    return SqliteStore(Path(text), read_only=read_only)


def copy_store(source: str | Path, target: str | Path) -> tuple[int, int, int]:
    """Copy every success and failure; return (successes read, successes added, failures added)."""
    src = open_location(source, read_only=True)
    try:
        rows = list(src.rows())
        failures = src.failures()
    finally:
        src.close()
    dst = open_location(target)
    try:
        added, failed = dst.import_rows(rows, failures)
    finally:
        dst.close()
    return len(rows), added, failed


def main(argv: list[str] | None = None) -> int:
    """``copy SRC DST``."""
    parser = argparse.ArgumentParser(prog="eng5-runner-store", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    copy = sub.add_parser("copy", help="copy judgements and failures from SRC into DST")
    copy.add_argument("source", help="SQLite file, or pg: / pg:VAR")
    copy.add_argument("target", help="SQLite file, or pg: / pg:VAR")
    args = parser.parse_args(argv)
    try:
        read, added, failed = copy_store(args.source, args.target)
    except RunnerError as exc:
        print(f"error: {exc.one_line()}", file=sys.stderr)
        return exc.exit_code
    print(
        f"copied {read} judgements from {args.source} to {args.target} "
        f"({added} new, {read - added} already there; {failed} failures added)"
    )
    return 0
