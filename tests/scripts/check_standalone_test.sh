#!/usr/bin/env bash
# scripts/check_standalone.sh finds a file that reads the workplace's shared folder, and passes a
# tree that does not: on trees made here (outside git) and on the repository itself.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
check="$repo/scripts/check_standalone.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
up=.. s=shared  # the paths are built here so that this file does not name them

mkdir -p "$tmp/clean/scripts" "$tmp/clean/tests"
cp "$check" "$tmp/clean/scripts/"
echo 'const char* f = "tests/fixtures/julia/test.digits-model.arrow"; // shared layers' >"$tmp/clean/tests/a.cpp"
out=$(bash "$tmp/clean/scripts/check_standalone.sh" "$tmp/clean" 2>&1) || fail "a clean tree was refused: $out"

for planted in "add_definitions(-DDIR=\"\${PROJECT_SOURCE_DIR}/$up/$s\")" \
               "julia=$up/$s/fixtures/julia" \
               "see the workplace's $s/docs/julia-format.md" \
               "open(\"$up/$s\")"; do
  rm -rf "$tmp/bad" && cp -r "$tmp/clean" "$tmp/bad"
  printf 'one\n%s\n' "$planted" >"$tmp/bad/tests/reads.txt"
  if out=$(bash "$tmp/bad/scripts/check_standalone.sh" "$tmp/bad" 2>&1); then
    fail "a tree with '$planted' passed: $out"
  fi
  grep -q "^tests/reads.txt:2:" <<<"$out" || fail "the finding does not name tests/reads.txt:2: $out"
done

out=$(bash "$check" "$repo" 2>&1) || fail "the repository reads the shared folder: $out"
echo "ok"
