"""Every bad input: a documented exit code, one ``error:`` line, no traceback, no leaked secret."""

from __future__ import annotations

import json
import shlex
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.fakes.llm_servers import FakeLLMServer, echo_key

pytestmark = pytest.mark.slow
KEY = "sk-badinput-" + "Q7x" * 8


def run_cli(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None, wrap: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI (optionally inside ``unshare -rm sh -c '<wrap> && exec …'``)."""
    base = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "OPENAI_API_KEY": KEY}
    command = [sys.executable, "-m", "eng5_runner", "experiment=quickstart", *args]
    if "hydra.run.dir" not in " ".join(args):
        command.append(f"hydra.run.dir={tmp_path}/run")
    if not any(a.startswith("cache.path=") for a in args):
        command.append(f"cache.path={tmp_path}/store.sqlite")
    if wrap is not None:
        command = ["unshare", "-rm", "sh", "-c", f"{wrap} && exec {shlex.join(command)}"]
    return subprocess.run(
        command,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=base | (env or {}),
    )


def one_error(out: subprocess.CompletedProcess[str], code: int, *needles: str) -> str:
    assert out.returncode == code, out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, out.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]


def no_secret_anywhere(tmp_path: Path, out: subprocess.CompletedProcess[str], secret: str) -> None:
    assert secret not in out.stdout + out.stderr
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("ftp://example.org/v1", "scheme 'ftp'"),
        ("not-a-url", "no scheme"),
        ("http://127.0.0.1:99999/v1", "Port out of range"),
    ],
)
def test_bad_base_url(tmp_path: Path, url: str, needle: str) -> None:
    out = run_cli(tmp_path, "judge=openai", f"judge.base_url={url}")
    one_error(out, 2, "judge.base_url", needle)
    assert not (tmp_path / "run").exists()  # a config error leaves no run dir (errors.md)


def test_credentials_in_base_url_are_refused_and_never_shown(tmp_path: Path) -> None:
    password = "hunter2-" + "p4ss" * 4
    out = run_cli(tmp_path, "judge=openai", f"judge.base_url=https://bob:{password}@h.example/v1")
    one_error(out, 2, "judge.base_url", "credentials in the URL")
    assert not (tmp_path / "run").exists()  # nothing written that could hold it
    assert password not in out.stderr


def test_api_key_in_api_key_env_is_refused(tmp_path: Path) -> None:
    secret = "sk-proj-" + "A1b2C3d4" * 4
    out = run_cli(tmp_path, "judge=openai", f"judge.api_key_env={secret}")
    one_error(out, 2, "judge.api_key_env", "NAME of an environment variable")
    no_secret_anywhere(tmp_path, out, secret)


def test_env_secret_in_a_written_field_is_refused(tmp_path: Path) -> None:
    out = run_cli(tmp_path, "batch_label=${oc.env:OPENAI_API_KEY}")
    one_error(out, 2, "batch_label", "secret environment variable")
    no_secret_anywhere(tmp_path, out, KEY)


def test_provider_echoing_the_key_never_leaks_it(tmp_path: Path) -> None:
    with FakeLLMServer() as server:
        server.add_fault(echo_key(400), times=1000)
        out = run_cli(
            tmp_path,
            "judge=openai",
            f"judge.base_url={server.openai_base_url}",
            "judge.max_retries=0",
            "report.plots=false",
        )
    one_error(out, 4, "FAILED")
    report = (tmp_path / "run" / "report.md").read_text()
    assert "bad request with credentials" in report and "[redacted]" in report
    no_secret_anywhere(tmp_path, out, KEY)


def _store_file(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"{kind}.sqlite"
    if kind == "plain":
        path.write_text("these are my notes, not a database\n" * 20)
    elif kind == "corrupt":
        path.write_bytes(b"SQLite format 3\x00" + b"\xff\x00garbage" * 600)
    elif kind == "foreign":
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE judgements (id INTEGER PRIMARY KEY, payload BLOB)")
        db.commit()
        db.close()
    return path


@pytest.mark.parametrize(
    ("kind", "needle"),
    [
        ("plain", "not a judgement store"),
        ("corrupt", "cache.path="),
        ("foreign", "another program or schema"),
    ],
)
def test_bad_store_files(tmp_path: Path, kind: str, needle: str) -> None:
    store = _store_file(tmp_path, kind)
    before = store.read_bytes()
    out = run_cli(tmp_path, f"cache.path={store}")
    one_error(out, 5, needle, str(store))
    assert store.read_bytes() == before  # nothing written into someone else's file
    assert json.loads((tmp_path / "run" / "error.json").read_text())["exit_code"] == 5


def test_oversized_essay_is_a_clear_error(tmp_path: Path) -> None:
    out = run_cli(tmp_path, "dataset.max_essay_chars=500")
    one_error(out, 2, "dataset.max_essay_chars=500", "characters")


def _unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs tmpfs /mnt"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


needs_mounts = pytest.mark.skipif(
    not _unshare_works(), reason="needs unshare -rm (user + mount namespaces) to mount tmpfs"
)


def _mount(target: Path, options: str, then: Sequence[str] = ()) -> str:
    steps = [f"mkdir -p {target}", f"mount -t tmpfs -o {options} tmpfs {target}", *then]
    return " && ".join(steps)


@needs_mounts
def test_full_disk_is_one_line(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    wrap = _mount(disk, "size=48k")
    out = run_cli(tmp_path, f"hydra.run.dir={disk}/run", wrap=wrap)
    one_error(out, 5, "no space left on the device", "hydra.run.dir=")
    # nothing half-written inside the mount (gone with it), and no judgement lost:
    # they are in the store outside the full disk, so the same command resumes
    from eng5_runner.engine.store import SqliteStore

    store = SqliteStore(tmp_path / "store.sqlite", read_only=True)
    assert store.count() == 66
    store.close()


@needs_mounts
def test_read_only_output_dir_is_one_line(tmp_path: Path) -> None:
    disk = tmp_path / "ro"
    wrap = _mount(disk, "size=1m", [f"mount -o remount,ro {disk}"])
    out = run_cli(tmp_path, f"hydra.run.dir={disk}/run", wrap=wrap)
    one_error(out, 5, "read-only", f"{disk}/run")


@needs_mounts
def test_read_only_store_is_one_line(tmp_path: Path) -> None:
    disk = tmp_path / "ro"
    seed = tmp_path / "seed.sqlite"
    db = sqlite3.connect(seed)
    db.close()
    wrap = _mount(
        disk, "size=1m", [f"cp {seed} {disk}/store.sqlite", f"mount -o remount,ro {disk}"]
    )
    out = run_cli(tmp_path, f"cache.path={disk}/store.sqlite", wrap=wrap)
    one_error(out, 5, "read-only", "cache=replay")
