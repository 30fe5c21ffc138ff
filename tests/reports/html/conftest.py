"""A real headless Chromium (Debian's chromium + chromium-driver) driven by selenium."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1300,1800",
)
LOCAL_SCHEMES = ("file:", "data:", "about:", "chrome-error:")


def _unavailable(reason: str) -> None:
    """Skip locally; fail in CI, where scripts/system_deps.sh installs the browser."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: scripts/system_deps.sh must install it)")
    pytest.skip(f"{reason}; install with: bash scripts/system_deps.sh")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module, fresh profile, nothing but local pages."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("selenium is not installed")
    if not (Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()):
        _unavailable(f"Chromium or its driver is missing ({CHROMIUM}, {CHROMEDRIVER})")
    profile = tempfile.mkdtemp(prefix="eng5-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def open_page(driver: Any, url: str) -> None:
    """Load ``url`` and drop the logs of earlier pages."""
    driver.get("about:blank")
    driver.get_log("browser")
    driver.get_log("performance")
    driver.get(url)


def console_errors(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]


def requested_urls(driver: Any) -> list[str]:
    """Every URL the page asked the network stack for (DevTools performance log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def save_artefact(driver: Any, name: str, tmp_path: Path) -> Path:
    """A full-page screenshot under ``tmp_path`` (and ``$TEST_ARTEFACTS_DIR`` when set)."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1300, min(int(height) + 40, 8000))
    path = tmp_path / name
    driver.save_screenshot(str(path))
    driver.set_window_size(1300, 1800)
    target = os.environ.get("TEST_ARTEFACTS_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / name)
    return path
