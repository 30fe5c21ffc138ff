"""Atomic writes: readers see the old file or the new one, never a partial one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from eng5_runner.output.atomic import write_json_atomic, write_text_atomic


def test_failed_replace_keeps_the_old_file_and_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = write_text_atomic(tmp_path / "report.md", "old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_text_atomic(target, "new")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]


def test_unserialisable_json_writes_nothing(tmp_path: Path) -> None:
    target = write_json_atomic(tmp_path / "a.json", {"ok": 1})
    with pytest.raises(ValueError):
        write_json_atomic(target, {"circular": _circular()})
    assert target.read_text() == '{\n  "ok": 1\n}\n'


def _circular() -> list[object]:
    loop: list[object] = []
    loop.append(loop)
    return loop


def test_files_follow_the_umask(tmp_path: Path) -> None:
    path = write_text_atomic(tmp_path / "x.txt", "hi")
    current = os.umask(0)
    os.umask(current)
    assert path.stat().st_mode & 0o777 == 0o666 & ~current
