#!/usr/bin/env bash
# Debian packages the queue-mode e2e tests and benchmark need: PostgreSQL (n8n's shared database)
# and Redis (n8n's job queue). Idempotent: installs only what is missing, `apt-get update` at most
# once. No system service is started: the harness (scripts/n8n/queue.ts) starts its own servers on
# 127.0.0.1 with their own data folders and stops them afterwards.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)

if [ "${#missing[@]}" -eq 0 ]; then
	echo "[services] redis-server and postgresql already installed"
	exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "[services] installing ${missing[*]} (apt-get)"
$SUDO apt-get update -qq
# policy-rc.d 101: Debian's maintainer scripts must not start the system services.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod +x /usr/sbin/policy-rc.d
	trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "[services] installed ${missing[*]}"
