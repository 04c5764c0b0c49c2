#!/usr/bin/env bash
# Installs the npm dependencies when missing or older than the lockfile, then
# builds every package. Shared by `npm start` and `npm test`, so a fresh clone
# needs nothing installed by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1

# Native addons (re2 for the rules, better-sqlite3 for the collector's spool)
# compile here: their prebuilt downloads are unreachable. node-gyp would
# download Node's headers too; point it at the ones the distribution installs.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then
  export npm_config_nodedir=/usr
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "dockwatch: installing npm dependencies (npm ci)…" >&2
  npm ci --no-audit --no-fund
fi
echo "dockwatch: building…" >&2
npx turbo run build --output-logs=errors-only --log-order=grouped
