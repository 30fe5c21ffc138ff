#!/usr/bin/env bash
# System packages the tests need (Debian). Idempotent: installs only what is missing.
# Add a package here with a comment naming the tests that need it.
set -euo pipefail
PACKAGES=(
  chromium         # tests/reports/html: report.html opened in a real headless browser
  chromium-driver  # tests/reports/html: selenium drives it via /usr/bin/chromedriver
  postgresql  # tests/store: a throwaway PostgreSQL server (initdb, pg_ctl)
)
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
