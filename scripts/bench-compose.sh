#!/usr/bin/env bash
# Compose benchmark (docs/BENCHMARKS.md, "Compose"): `rpmcompose compose` vs
# `dnf --installroot` + `tar | gzip -1` of the same package sets, side by side, on
# a corpus of 69 real-size RPMs rebuilt from this machine's Debian packages.
#
#   bash scripts/bench-compose.sh
#
# env:
#   RUNS=3          runs per measurement (median and min are reported)
#   BENCH_DIR=...   corpus, compose files, caches, outputs and results
#                   (default: bench-out/compose, gitignored — nothing here is committed)
#   REGEN=1         rebuild the corpus even if it exists (~1.5 min; deterministic)
#   PROFILE=0       skip the untimed profiled compose (node --cpu-prof, perf record)
#   RPMCOMPOSE_ROOT  (set here) the frozen copy of bin/ dist/ build/ that is timed
#   BUILD=auto      auto: build dist/ (tsc) and the addon only if missing;
#                   1: always `npm run build` first; 0: never build
#
# Needs rpmbuild, createrepo_c, dnf, GNU time (/usr/bin/time), tar, gzip; perf optional.
# Prints a markdown report on stdout (also saved as $BENCH_DIR/bench-compose.md);
# raw figures in $BENCH_DIR/bench-compose.json.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export BENCH_DIR=${BENCH_DIR:-$ROOT/bench-out/compose}
export RUNS=${RUNS:-3}
BUILD=${BUILD:-auto}
mkdir -p "$BENCH_DIR"
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)

for tool in rpmbuild createrepo_c dnf dpkg-query tar gzip; do
  command -v "$tool" >/dev/null || { echo "bench-compose: $tool not found" >&2; exit 1; }
done
[[ -x /usr/bin/time ]] || { echo "bench-compose: GNU time not found at /usr/bin/time (apt-get install time)" >&2; exit 1; }

# 1. corpus: RPMs from the installed Debian packages, repo, compose files
if [[ ${REGEN:-0} == 1 || ! -f $BENCH_DIR/repo/repodata/repomd.xml || ! -f $BENCH_DIR/corpus.json ||
      scripts/bench/compose-corpus.mjs -nt $BENCH_DIR/corpus.json ]]; then
  node scripts/bench/compose-corpus.mjs --out "$BENCH_DIR" >&2
else
  node scripts/bench/compose-corpus.mjs --out "$BENCH_DIR" --compose-only >&2
fi

# 2. rpmcompose build
if [[ $BUILD == 1 || ( $BUILD == auto && ! -f dist/src/cli/main.js ) ]]; then
  npm run --silent build >&2 || echo "bench-compose: npm run build failed; using dist/ as it is" >&2
fi
if [[ $BUILD != 0 ]] && ! ls build/Release/*.node >/dev/null 2>&1; then
  bash scripts/build-addon.sh >&2 || echo "bench-compose: addon build failed" >&2
fi

# 3. a frozen copy of the built CLI (dist/ is rebuilt while others work: every run
#    must time the same code); node_modules is linked, not copied
SNAP=$BENCH_DIR/rpmcompose
rm -rf "$SNAP" && mkdir -p "$SNAP/build/Release"
cp -a bin dist package.json "$SNAP/"
cp -a build/Release/*.node "$SNAP/build/Release/"
ln -s "$ROOT/node_modules" "$SNAP/node_modules"
export RPMCOMPOSE_ROOT=$SNAP
echo "bench-compose: timing the CLI as built at $(date -u -r dist/src/cli/main.js +%FT%TZ) (copy in $SNAP)" >&2

# 4. measure
node scripts/bench/compose-run.mjs | tee "$BENCH_DIR/bench-compose.md"
