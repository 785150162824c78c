#!/usr/bin/env bash
# Mutation check of the orchestration: every scripts/mutants/*.patch is one small bug the
# test suite must catch. For each, in turn: apply it, rebuild, run the tests it names
# (`Tests:` files, `Pattern:` a --test-name-pattern), and expect them to FAIL; then
# restore the tree, whatever happened. One line per mutant; exit 0 only when every mutant
# was caught. A mutant that no longer applies, does not compile, or selects no test is a
# failure too: the mutants must follow the code they mutate.
#
#   bash scripts/mutants.sh [scripts/mutants/NN-name.patch ...]
#
# Needs a built tree (npm test, or npm run setup). Logs: bench-out/mutants/<name>.log.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ -n "$(git status --porcelain -- src)" ]; then
  echo "mutants: src/ has uncommitted changes; commit or stash them first (the script reverts what it applies)" >&2
  exit 2
fi
logs=bench-out/mutants
mkdir -p "$logs"
applied=""
restore() {
  if [ -n "$applied" ]; then git apply -R "$applied" && applied=""; fi
}
rebuild() { rm -rf dist && node_modules/.bin/tsc -p tsconfig.json; }
trap 'restore; rebuild' EXIT

patches=("$@")
[ ${#patches[@]} -gt 0 ] || patches=(scripts/mutants/*.patch)
caught=0
failed=0
for patch in "${patches[@]}"; do
  name=$(basename "$patch" .patch)
  what=$(sed -n 's/^Mutation: //p' "$patch")
  read -r -a tests <<<"$(sed -n 's/^Tests: //p' "$patch")"
  pattern=$(sed -n 's/^Pattern: //p' "$patch")
  log=$logs/$name.log
  if ! git apply --check "$patch" 2>"$log"; then
    echo "NOT APPLIED  $name: $what (the code changed: update the patch)"
    failed=$((failed + 1))
    continue
  fi
  git apply "$patch" && applied=$patch
  if ! rebuild >>"$log" 2>&1; then
    echo "BROKEN       $name: $what (does not compile; see $log)"
    failed=$((failed + 1))
    restore
    continue
  fi
  node --test --test-concurrency=1 ${pattern:+--test-name-pattern="$pattern"} "${tests[@]}" >>"$log" 2>&1
  rc=$?
  restore
  total=$(sed -n 's/^# tests //p' "$log" | tail -1)
  skipped=$(sed -n 's/^# skipped //p' "$log" | tail -1)
  ran=$(( ${total:-0} - ${skipped:-0} ))
  # A test left pending (a hang the event loop gave up on) is cancelled: not passed either.
  failing=$(( $(sed -n 's/^# fail //p' "$log" | tail -1) + $(sed -n 's/^# cancelled //p' "$log" | tail -1) ))
  if [ "$ran" -le 0 ]; then
    echo "NO TESTS     $name: $what (Pattern selects nothing in ${tests[*]})"
    failed=$((failed + 1))
  elif [ $rc -ne 0 ] && [ "$failing" -gt 0 ]; then
    echo "caught       $name: $what ($failing of $ran tests fail)"
    caught=$((caught + 1))
  else
    echo "SURVIVED     $name: $what ($ran tests pass with it; see $log)"
    failed=$((failed + 1))
  fi
done
echo "mutants: $caught of ${#patches[@]} caught"
[ $failed -eq 0 ]
