#!/usr/bin/env bash
# Compose A/B (docs/BENCHMARKS.md, "Compose before and after"): the compose benchmark's
# corpus composed by two builds of rpmcompose, one after the other on this machine, to
# tell whether a change made composing slower. Only rpmcompose is timed (no dnf rows).
#
#   bash scripts/bench-compose-ab.sh REV          REV (before) against the working tree (after)
#
# env: RUNS=5 (rounds; each round runs both builds, order swapped every round),
#      AB_LAYERS=cold (no built layers in the cache; warm: a rebuild with every layer cached),
#      BENCH_DIR=bench-out/compose (the corpus of scripts/bench-compose.sh, built if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
REV=${1:?usage: bash scripts/bench-compose-ab.sh REV}
export BENCH_DIR=${BENCH_DIR:-$ROOT/bench-out/compose}
export RUNS=${RUNS:-5}
mkdir -p "$BENCH_DIR"
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)

if [[ ! -f $BENCH_DIR/repo/repodata/repomd.xml || ! -f $BENCH_DIR/compose.json ]]; then
  node scripts/bench/compose-corpus.mjs --out "$BENCH_DIR" >&2
fi

# Frozen builds, so that rebuilding the tree while this runs changes nothing timed.
freeze() { # <source dir> <dest>: its bin, dist and addon
  rm -rf "$2" && mkdir -p "$2/build/Release"
  cp -a "$1/bin" "$1/dist" "$1/package.json" "$2/"
  cp -a "$1"/build/Release/*.node "$2/build/Release/"
  ln -s "$ROOT/node_modules" "$2/node_modules"
}
npm run --silent build >&2
freeze "$ROOT" "$BENCH_DIR/ab-after"
SRC=$BENCH_DIR/ab-src
rm -rf "$SRC" && git worktree prune && git worktree add --detach --force "$SRC" "$REV" >&2
ln -s "$ROOT/node_modules" "$SRC/node_modules"
if git diff --quiet "$REV" HEAD -- native binding.gyp; then
  mkdir -p "$SRC/build" && cp -a "$ROOT/build/Release" "$SRC/build/"   # the same addon sources
else
  (cd "$SRC" && bash scripts/build-addon.sh) >&2
fi
(cd "$SRC" && node_modules/.bin/tsc -p tsconfig.json) >&2
freeze "$SRC" "$BENCH_DIR/ab-before"
git worktree remove --force "$SRC"

AB_BEFORE=$BENCH_DIR/ab-before AB_AFTER=$BENCH_DIR/ab-after AB_LABELS="$(git rev-parse --short "$REV"),$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src native || echo +changes)" \
  node scripts/bench/compose-ab.mjs
