#!/usr/bin/env bash
# Builds the libsolv addon offline: node-gyp gets the running Node's own headers
# (the prefix of process.execPath holds include/node) instead of downloading them.
set -euo pipefail
cd "$(dirname "$0")/.."
nodedir=$(node -p 'require("path").resolve(process.execPath, "../..")')
if [ ! -f "$nodedir/include/node/node_api.h" ]; then
  echo "build-addon: no Node headers under $nodedir/include/node (install Node's development headers)" >&2
  exit 1
fi
if ! pkg-config --exists libsolv libsolvext; then
  echo "build-addon: libsolv not found: run scripts/setup.sh (Debian/Ubuntu: libsolv-dev libsolvext-dev; Fedora: libsolv-devel)" >&2
  exit 1
fi
exec node_modules/.bin/node-gyp rebuild --nodedir="$nodedir" --loglevel=warn
