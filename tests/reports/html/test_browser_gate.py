"""Without Chromium the browser tests skip locally and fail in CI."""

from __future__ import annotations

import pytest

from tests.reports.html.conftest import _unavailable


def test_missing_browser_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="system_deps.sh"):
        _unavailable("Chromium is missing")


def test_missing_browser_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        _unavailable("Chromium is missing")
