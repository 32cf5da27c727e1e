#!/usr/bin/env bash
# Debian's Chromium for the editor browser suite (test/e2e/editor.suite.ts, run by editor.n8n1/n8n2.e2e.test.ts and driven by
# playwright-core). Idempotent: installs only when /usr/bin/chromium (or $CHROMIUM_PATH) is missing,
# `apt-get update` at most once. Never a browser download from anywhere else.
set -euo pipefail

bin="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$bin" ]; then
	echo "[chromium] already installed: $("$bin" --version 2>/dev/null | head -1)"
	exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "[chromium] installing chromium (apt-get; ~100 MB, a minute or two)"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium
echo "[chromium] installed: $("$bin" --version 2>/dev/null | head -1)"
