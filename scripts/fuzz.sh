#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ (clang 14, ASan + UBSan), writes their seed corpora from the
# project's test files, and runs every target for SECONDS (default 60). Exits non-zero when any
# target finds something (crash, sanitizer report, timeout, out-of-memory, leak), printing the path
# of the input that did it. Environment: FUZZ_BUILD_DIR (default build-fuzz), FUZZ_JOBS (targets run
# at once; default: the number of cores), FUZZ_TARGETS (default: every target built).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
build=${FUZZ_BUILD_DIR:-build-fuzz}
jobs=${FUZZ_JOBS:-$(nproc)}
command -v clang++-14 >/dev/null 2>&1 || bash scripts/setup.sh

CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DLEGOLASFLUX_BUILD_FUZZERS=ON -DLEGOLASFLUX_BUILD_TESTS=OFF -DLEGOLASFLUX_BUILD_TOOLS=OFF >/dev/null
cmake --build "$build" -j "$(nproc)"

# Seeds: regenerated every run; the fixtures are only read.
"$build/fuzz/make_seeds" tests/arrow/corpus tests/fixtures/julia "$build/fuzz-seeds"

# Every fuzz/fuzz_NAME.cpp is a target, whose seeds make_seeds writes to fuzz-seeds/NAME.
targets=()
for src in fuzz/fuzz_*.cpp; do
  name=$(basename "$src" .cpp)
  name=${name#fuzz_}
  if [ -n "${FUZZ_TARGETS:-}" ] && [[ " $FUZZ_TARGETS " != *" $name "* ]]; then continue; fi
  if [ -x "$build/fuzz/fuzz_$name" ]; then targets+=("$name"); else echo "fuzz: fuzz_$name not built, skipped"; fi
done

export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# Runs one target; its corpus (kept between runs, under the build dir) grows as it finds new paths.
run_one() {
  local name=$1
  local corpus="$build/fuzz-corpus/$name" artifacts="$build/fuzz-artifacts/$name" log="$build/fuzz-logs/$name.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  if "$build/fuzz/fuzz_$name" "$corpus" "$build/fuzz-seeds/$name" -max_total_time="$seconds" \
       -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=30 -print_final_stats=1 \
       -artifact_prefix="$artifacts/" >"$log" 2>&1; then
    echo "fuzz: $name: no finding in ${seconds}s, $(grep -o 'number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') runs"
  else
    echo "fuzz: $name: FINDING (log: $log)"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|\*\*\* fuzz finding|.*runtime error)' "$log" | head -n 5 || true
    grep -E 'Test unit written to' "$log" | sed 's/^.*Test unit written to /fuzz: crash input: /' || true
    return 1
  fi
}

rm -rf "$build/fuzz-artifacts" "$build/fuzz-status"
mkdir -p "$build/fuzz-status"
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
  (rc=0; run_one "$t" || rc=$?; echo "$rc" >"$build/fuzz-status/$t") &
done
wait

failed=0
for t in "${targets[@]}"; do
  [ "$(cat "$build/fuzz-status/$t" 2>/dev/null)" = 0 ] || failed=1
done
if [ "$failed" -ne 0 ]; then
  echo "fuzz: findings; reproduce with $build/fuzz/fuzz_<target> <crash input>"
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, no finding"
