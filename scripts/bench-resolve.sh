#!/usr/bin/env bash
# Resolve benchmark (docs/BENCHMARKS.md, "Resolve"): rpmcompose vs dnf, side by
# side, on a ~63,000-package rpm-md repo converted from Debian bookworm's index.
#
#   bash scripts/bench-resolve.sh            # or: npm run bench
#
# env:
#   RUNS=5          runs per measurement (median and min are reported)
#   BENCH_DIR=...   where the corpus, compose files, caches and results go
#                   (default: bench-out/, gitignored — nothing here is committed)
#   REGEN=1         rebuild the corpus even if it exists (it is deterministic)
#   BUILD=auto      auto: build dist/ (tsc) and the addon only if missing;
#                   1: always `npm run build` first; 0: never build
#
# Prints a markdown report on stdout (also saved as $BENCH_DIR/bench-resolve.md);
# raw figures in $BENCH_DIR/bench-resolve.json. The rpmcompose rows are skipped,
# with the reason, if bin/rpmcompose.js does not work (yet).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export BENCH_DIR=${BENCH_DIR:-$ROOT/bench-out}
export RUNS=${RUNS:-5}
BUILD=${BUILD:-auto}
mkdir -p "$BENCH_DIR"
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)

if ! command -v dnf >/dev/null; then
  echo "bench-resolve: dnf not found (Debian: apt-get install dnf)" >&2
  exit 1
fi

# 1. corpus: Debian bookworm main amd64 → rpm-md (runs apt-get update if the list is missing)
if [[ ${REGEN:-0} == 1 || ! -f $BENCH_DIR/repo/repodata/repomd.xml ||
      scripts/bench/debian-to-rpmmd.mjs -nt $BENCH_DIR/repo/repodata/repomd.xml ]]; then
  node scripts/bench/debian-to-rpmmd.mjs --out "$BENCH_DIR/repo" >/dev/null
fi

# 2. compose files with the 10 images
node scripts/bench/compose.mjs --repo "$BENCH_DIR/repo" --out "$BENCH_DIR" >/dev/null

# 3. rpmcompose build (best effort: a failed build only means its rows are skipped)
if [[ $BUILD == 1 || ( $BUILD == auto && ! -f dist/src/cli/main.js ) ]]; then
  npm run --silent build >&2 || echo "bench-resolve: npm run build failed; using dist/ as it is" >&2
fi
if [[ $BUILD != 0 ]] && ! ls build/Release/*.node >/dev/null 2>&1; then
  bash scripts/build-addon.sh >&2 || echo "bench-resolve: addon build failed" >&2
fi

# 4. measure
{ node scripts/bench/run.mjs; node scripts/bench/load.mjs; } | tee "$BENCH_DIR/bench-resolve.md"
