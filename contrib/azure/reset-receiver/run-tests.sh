#!/usr/bin/env bash
# Install the receiver's npm dependencies from package-lock.json and run its tests (node --test).
# Offline-safe: when node_modules already matches the lock file, npm is not run at all.
set -euo pipefail
cd "$(dirname "$0")"

command -v node >/dev/null || { echo "run-tests.sh: node not found (Node.js >= 18 needed)" >&2; exit 2; }
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 18 ]; then echo "run-tests.sh: Node.js $major is too old (>= 18 needed)" >&2; exit 2; fi
command -v openssl >/dev/null || { echo "run-tests.sh: openssl not found (the loopback ARM server's test certificate)" >&2; exit 2; }

if [ -d node_modules ] && npm ls --all --omit=optional >/dev/null 2>&1; then
  echo "run-tests.sh: node_modules matches package-lock.json, skipping npm ci"
else
  npm ci --no-audit --no-fund --prefer-offline
fi

exec node --test test/*.test.js
