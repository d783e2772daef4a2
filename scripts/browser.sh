#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright (no browser downloads).
set -eu
if command -v chromium >/dev/null; then exit 0; fi
echo "Installing Debian's chromium for the browser tests..."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
command -v chromium >/dev/null || { echo "chromium could not be installed: install Debian's chromium package." >&2; exit 1; }
