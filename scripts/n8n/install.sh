#!/usr/bin/env bash
# Install a PINNED real n8n into a cache outside this package's dependencies, and reuse it.
#
#   scripts/n8n/install.sh <1|2|all>      # 1 = n8n 1.x on the machine's Node 20, 2 = n8n 2.x on Node 24
#                                         # (all = both, in parallel)
#   scripts/n8n/install.sh --print-dir 1  # print the cache folder of that line (no install)
#
# Cache: ${N8N_CACHE_DIR:-$HOME/.cache/n8n-nodes-microsoft-defender}/n8n-<version>/
#   n8n                 wrapper script: runs that n8n with the right Node (use it like the `n8n` CLI)
#   .install-complete   marker, written only after `n8n --version` printed the pinned version
# Node 24 for n8n 2.x comes from the npm package `node` (its platform package ships the binary and
# the C++ headers; native modules are built against them via npm_config_nodedir).
# The README's Development section says why each override is there.
set -euo pipefail

N8N_V1_VERSION="1.123.81"
N8N_V2_VERSION="2.41.1"
NODE24_VERSION="24.21.0"

CACHE_ROOT="${N8N_CACHE_DIR:-$HOME/.cache/n8n-nodes-microsoft-defender}"
T0=$(date +%s)

log() { printf '[n8n-install %4ss] %s\n' "$(($(date +%s) - T0))" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

version_of() {
	case "$1" in
		1) echo "$N8N_V1_VERSION" ;;
		2) echo "$N8N_V2_VERSION" ;;
		*) die "unknown line '$1' (want 1, 2 or all)" ;;
	esac
}

# Run a long command, printing a heartbeat (elapsed seconds, size of node_modules) every 30 s.
run_with_heartbeat() {
	local label="$1" watch_dir="$2" logfile="$3"
	shift 3
	"$@" >"$logfile" 2>&1 &
	local pid=$! start next
	start=$(date +%s)
	next=$((start + 30))
	while kill -0 "$pid" 2>/dev/null; do
		sleep 2
		if [ "$(date +%s)" -ge "$next" ] && kill -0 "$pid" 2>/dev/null; then
			next=$((next + 30))
			local size="-"
			[ -d "$watch_dir" ] && size=$(du -sh "$watch_dir" 2>/dev/null | cut -f1)
			log "  ... $label still running ($(($(date +%s) - start)) s, node_modules $size, log $logfile)"
		fi
	done
	if ! wait "$pid"; then
		log "  $label FAILED; last lines of $logfile:"
		tail -n 40 "$logfile" >&2
		return 1
	fi
	log "  $label done in $(($(date +%s) - start)) s"
}

install_node24() {
	local dir="$CACHE_ROOT/node-$NODE24_VERSION"
	local marker="$dir/.install-complete"
	if [ -f "$marker" ]; then
		NODE24_DIR="$dir"
		return 0
	fi
	rm -rf "$dir"
	mkdir -p "$dir"
	cat >"$dir/package.json" <<EOF
{
	"name": "node24-for-n8n-cache",
	"private": true,
	"description": "Node $NODE24_VERSION from the npm package 'node', used to run n8n 2.x",
	"dependencies": { "node": "$NODE24_VERSION" },
	"allowScripts": { "node": true }
}
EOF
	(cd "$dir" && run_with_heartbeat "npm install node@$NODE24_VERSION" "$dir/node_modules" "$dir/install.log" \
		npm install --ignore-scripts=false --no-audit --no-fund --loglevel=warn) || die "node@$NODE24_VERSION install failed"
	local bin="$dir/node_modules/node/bin/node"
	[ -x "$bin" ] || die "no node binary at $bin"
	local got
	got=$("$bin" --version)
	[ "$got" = "v$NODE24_VERSION" ] || die "node binary says $got, wanted v$NODE24_VERSION"
	echo "v$NODE24_VERSION installed $(date -u +%FT%TZ)" >"$marker"
	NODE24_DIR="$dir"
}

# The folder holding include/node/node.h of the Node 24 platform package (for node-gyp).
node24_headers() {
	local h
	h=$(find -L "$NODE24_DIR/node_modules" -maxdepth 7 -path '*/include/node/node.h' 2>/dev/null | head -n 1)
	[ -n "$h" ] || die "no include/node/node.h under $NODE24_DIR/node_modules"
	dirname "$(dirname "$(dirname "$h")")"
}

install_line() {
	local line="$1" version dir marker steps=4 step=0
	version=$(version_of "$line")
	dir="$CACHE_ROOT/n8n-$version"
	marker="$dir/.install-complete"
	mkdir -p "$CACHE_ROOT"

	# One installer at a time per version (parallel CI jobs / engineers on one machine).
	exec 9>"$CACHE_ROOT/n8n-$version.lock"
	if ! flock -n 9; then
		log "another install of n8n $version is running; waiting for it"
		flock 9
	fi

	if [ -f "$marker" ] && [ -x "$dir/n8n" ]; then
		log "n8n $version: cached at $dir ($(cat "$marker"))"
		log "n8n $version: $("$dir/n8n" --version 2>/dev/null | tail -n 1)"
		exec 9>&-
		return 0
	fi

	local node_bin node_path_prefix="" nodedir=""
	step=$((step + 1))
	if [ "$line" = 2 ]; then
		log "step $step/$steps n8n $version: Node $NODE24_VERSION from npm package 'node' (cached in $CACHE_ROOT/node-$NODE24_VERSION)"
		install_node24
		node_bin="$NODE24_DIR/node_modules/node/bin/node"
		nodedir=$(node24_headers)
		node_path_prefix="$(dirname "$node_bin")"
		log "  node: $node_bin ($("$node_bin" --version)), headers: $nodedir"
	else
		node_bin="$(command -v node)"
		log "step $step/$steps n8n $version: using the machine's Node $("$node_bin" --version) ($node_bin)"
		case "$("$node_bin" --version)" in v20.* | v22.* | v24.*) ;; *) die "n8n $version wants Node 20.19..24" ;; esac
	fi

	step=$((step + 1))
	log "step $step/$steps n8n $version: writing $dir/package.json (pins and overrides)"
	rm -rf "$dir"
	mkdir -p "$dir"
	if [ "$line" = 1 ]; then
		# xlsx: n8n-nodes-base 1.x points at a CDN tarball that is unreachable here; 0.18.5 is the
		#   last xlsx on the npm registry.
		# isolated-vm: 6.x does not build on Node 20 (wants 24); 5.0.4 builds from source.
		cat >"$dir/package.json" <<EOF
{
	"name": "n8n-cache-$version",
	"private": true,
	"dependencies": { "n8n": "$version" },
	"overrides": { "xlsx": "0.18.5", "isolated-vm": "5.0.4" },
	"allowScripts": { "@confluentinc/kafka-javascript": false }
}
EOF
	else
		# @confluentinc/kafka-javascript: its install script downloads a prebuilt librdkafka binary
		#   (unreachable here) and fails the whole install; only the Kafka node needs it.
		cat >"$dir/package.json" <<EOF
{
	"name": "n8n-cache-$version",
	"private": true,
	"dependencies": { "n8n": "$version" },
	"overrides": { "xlsx": "0.18.5" },
	"allowScripts": { "@confluentinc/kafka-javascript": false }
}
EOF
	fi

	step=$((step + 1))
	log "step $step/$steps n8n $version: npm install (about 6 min and 2-3 GB; log: $dir/install.log)"
	(
		cd "$dir"
		if [ -n "$node_path_prefix" ]; then
			export PATH="$node_path_prefix:$PATH"
			export npm_config_nodedir="$nodedir"
		fi
		run_with_heartbeat "npm install n8n@$version" "$dir/node_modules" "$dir/install.log" \
			npm install --ignore-scripts=false --no-audit --no-fund --loglevel=warn
	) || die "npm install of n8n $version failed (see $dir/install.log)"

	step=$((step + 1))
	log "step $step/$steps n8n $version: wrapper + verify"
	cat >"$dir/n8n" <<EOF
#!/usr/bin/env bash
# Runs n8n $version (installed by scripts/n8n/install.sh) with $("$node_bin" --version).
export PATH="$(dirname "$node_bin"):\$PATH"
exec "$node_bin" "$dir/node_modules/n8n/bin/n8n" "\$@"
EOF
	chmod +x "$dir/n8n"
	local got
	got=$("$dir/n8n" --version 2>&1 | tail -n 1)
	[ "$got" = "$version" ] || die "'$dir/n8n --version' printed '$got', wanted $version"
	echo "n8n $version on node $("$node_bin" --version), installed $(date -u +%FT%TZ) in $(($(date +%s) - T0)) s, $(du -sh "$dir" | cut -f1)" >"$marker"
	log "n8n $version ready: $dir/n8n ($(cat "$marker"))"
	exec 9>&-
}

main() {
	if [ "${1:-}" = "--print-dir" ]; then
		echo "$CACHE_ROOT/n8n-$(version_of "${2:?line 1 or 2}")"
		return 0
	fi
	case "${1:-}" in
		1 | 2) install_line "$1" ;;
		all)
			# Both lines at once: the installs are mostly network and unpacking (measured together on
			# 2 CPUs: 375 s and 360 s, i.e. ~6 min for both instead of ~12 one after the other).
			local rc1=0 rc2=0
			install_line 1 &
			local p1=$!
			install_line 2 &
			local p2=$!
			wait "$p1" || rc1=$?
			wait "$p2" || rc2=$?
			[ "$rc1" -eq 0 ] && [ "$rc2" -eq 0 ] || die "install failed (line 1 exit $rc1, line 2 exit $rc2)"
			;;
		*) echo "usage: $0 <1|2|all> | --print-dir <1|2>" >&2; exit 2 ;;
	esac
	log "done"
}

main "$@"
