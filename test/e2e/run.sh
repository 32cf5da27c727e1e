#!/usr/bin/env bash
# End-to-end tests in REAL n8n (1.123.81 on Node 20, 2.41.1 on Node 24), run by `npm run test:e2e`
# and by .ci/run. Build → pinned n8n installs (cached; ~6 min each the first time) → jest.
#   E2E_TARBALL=/path/pkg.tgz  test that tarball instead of packing this tree (skips the build)
#   E2E_N8N_LINES=2            only one n8n line
#   extra args go to jest, e.g. `npm run test:e2e -- -t credential`
set -euo pipefail
cd "$(dirname "$0")/../.."
T0=$SECONDS
if [ -z "${E2E_TARBALL:-}" ]; then
	echo "[e2e] step 1/3: npm run build (t+$((SECONDS - T0))s)"
	npm run build >/dev/null
else
	echo "[e2e] step 1/3: using E2E_TARBALL=$E2E_TARBALL (no build)"
fi
echo "[e2e] step 2/3: pinned n8n installs (t+$((SECONDS - T0))s)"
lines="${E2E_N8N_LINES:-1,2}"
for line in ${lines//,/ }; do bash scripts/n8n/install.sh "$line"; done
echo "[e2e] step 3/3: jest test/e2e (t+$((SECONDS - T0))s)"
npx jest -c test/e2e/jest.config.js "$@"
echo "[e2e] done in $((SECONDS - T0))s"
