#!/usr/bin/env bash
# Layer-planning benchmark (docs/BENCHMARKS.md, "Layer planning (issue: shared layers)"):
# one layer per image vs a Nix buildLayeredImage-like popularity split vs rpmcompose's
# planner, on the 10-image compose of the resolve benchmark and on a 50-image compose
# (those 10 + 40 more), over the ~63,000-package rpm-md repo converted from Debian
# bookworm's index.
#
#   bash scripts/bench-plan.sh
#
# env:
#   RUNS=5          runs per timing (median and min are reported)
#   MAX_LAYERS=24   layer budget per image (popularity split and planner)
#   BENCH_DIR=...   corpus, compose files, results (default: bench-out/, gitignored)
#   CACHE_DIR=...   rpmcompose metadata cache used (default $BENCH_DIR/plan/cache, warmed first)
#   BUILD=auto      auto: compile dist/ (tsc) and the addon only if missing;
#                   1: always compile first; 0: never
#
# Prints a markdown report on stdout (also saved as $BENCH_DIR/plan/bench-plan.md);
# raw figures in $BENCH_DIR/plan/bench-plan.json; the 50-image compose is
# $BENCH_DIR/plan/bench50.compose.json.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export BENCH_DIR=${BENCH_DIR:-$ROOT/bench-out}
export RUNS=${RUNS:-5}
BUILD=${BUILD:-auto}
mkdir -p "$BENCH_DIR/plan"
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)

# 1. corpus: Debian bookworm main amd64 → rpm-md (deterministic; see bench-resolve.sh)
if [[ ! -f $BENCH_DIR/repo/repodata/repomd.xml ]]; then
  node scripts/bench/debian-to-rpmmd.mjs --out "$BENCH_DIR/repo" >/dev/null
fi
# 2. the 10-image compose (plan-run.mjs writes the 50-image one from it)
if [[ ! -f $BENCH_DIR/bench.compose.json ]]; then
  node scripts/bench/compose.mjs --repo "$BENCH_DIR/repo" --out "$BENCH_DIR" >/dev/null
fi
# 3. build: the CLI and the planner from dist/, the libsolv addon
if [[ $BUILD == 1 || ( $BUILD == auto && ( ! -f dist/src/plan/index.js || ! -f dist/src/cli/main.js ) ) ]]; then
  npx tsc -p tsconfig.json >&2
fi
if [[ $BUILD != 0 ]] && ! ls build/Release/*.node >/dev/null 2>&1; then
  bash scripts/build-addon.sh >&2
fi
# 4. measure
node scripts/bench/plan-run.mjs | tee "$BENCH_DIR/plan/bench-plan.md"
