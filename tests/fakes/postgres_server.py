"""A real, throwaway PostgreSQL server for tests: Debian's binaries in a temp dir.

``PostgresServer().start()`` runs ``initdb`` (trust auth, user ``eng5``) and
``pg_ctl start`` on a free 127.0.0.1 port with its unix socket inside the data
dir. PostgreSQL refuses to run as root, so under root the binaries run as
``nobody`` (``runuser``) in a directory that user owns. ``stop()`` shuts it
down fast and removes the directory. :meth:`new_database` gives each test its
own empty database (a URL).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

SUPERUSER = "eng5"


def postgres_bindir() -> Path | None:
    """Newest ``/usr/lib/postgresql/<n>/bin`` holding initdb and pg_ctl (or $PG_BINDIR)."""
    candidates = [os.environ.get("PG_BINDIR", "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_major, reverse=True)
    for raw in candidates:
        if raw and (Path(raw) / "initdb").is_file() and (Path(raw) / "pg_ctl").is_file():
            return Path(raw)
    return None


def _major(path: str) -> int:
    try:
        return int(Path(path).parent.name.split(".")[0])
    except ValueError:
        return 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    bindir: Path
    port: int = field(default_factory=free_port)
    root: Path = field(init=False)

    def _cmd(self, *args: str) -> list[str]:
        if os.geteuid() == 0:
            runuser = shutil.which("runuser", path="/usr/sbin:/sbin:/usr/bin:/bin") or "runuser"
            return [runuser, "-u", "nobody", "--", *args]
        return list(args)

    def start(self) -> PostgresServer:
        self.root = Path(tempfile.mkdtemp(prefix="eng5-pg-"))
        data = self.root / "data"
        if os.geteuid() == 0:
            self.root.chmod(0o755)
            shutil.chown(self.root, "nobody", "nogroup")
        env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": str(self.root)}
        subprocess.run(
            self._cmd(
                str(self.bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, "-A", "trust",
                "-E", "UTF8", "--no-sync",
            ),
            check=True, capture_output=True, env=env, cwd=self.root,
        )  # fmt: skip
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={data} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
        )
        subprocess.run(
            self._cmd(
                str(self.bindir / "pg_ctl"), "-D", str(data), "-l", str(self.root / "log"),
                "-o", options, "-w", "-t", "30", "start",
            ),
            check=True, capture_output=True, env=env, cwd=self.root,
        )  # fmt: skip
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """URL of a new, empty database."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}".encode())
        return self.url(name)

    def terminate_connections(self, database_url: str) -> int:
        """Kill every backend of the database in ``database_url`` (a lost connection)."""
        name = database_url.rsplit("/", 1)[1]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid != pg_backend_pid()",
                (name,),
            ).fetchall()
        return len(rows)

    def pg_ctl(self, action: str) -> None:
        """``pg_ctl stop`` / ``start`` (the same data dir and port)."""
        data = self.root / "data"
        args = [str(self.bindir / "pg_ctl"), "-D", str(data), "-w", "-t", "30"]
        if action == "stop":
            args += ["-m", "fast", "stop"]
        else:
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} "
                f"-c unix_socket_directories={data} -c fsync=off -c max_connections=60"
            )
            args += ["-l", str(self.root / "log"), "-o", options, "start"]
        env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": str(self.root)}
        subprocess.run(self._cmd(*args), check=True, capture_output=True, env=env, cwd=self.root)

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, FileNotFoundError):
            self.pg_ctl("stop")
        shutil.rmtree(self.root, ignore_errors=True)
