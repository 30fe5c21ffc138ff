"""Without PostgreSQL binaries the PG tests skip locally and fail on CI (CI=true)."""

from __future__ import annotations

import pytest

from tests.store.conftest import _missing


def test_missing_binaries_skip_locally(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="system_deps.sh"):
        _missing("PostgreSQL binaries not found; install them with: bash scripts/system_deps.sh")


def test_missing_binaries_fail_on_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        _missing("PostgreSQL binaries not found")
