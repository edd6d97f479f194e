#!/usr/bin/env bash
# Builds and runs the whole test suite: the layer and format checks, the normal build, the
# installed package used by a consumer project (scripts/consumer.sh), then the robustness tests (truncations and random corruptions of
# real files) in an AddressSanitizer + UndefinedBehaviorSanitizer build, then every fuzz target
# (scripts/fuzz.sh) for 60 s.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

# The house rules first (seconds): includes keep to the layers, code is formatted.
bash scripts/check_layers.sh
bash scripts/check_standalone.sh
bash scripts/check_format.sh
stage() { echo "test.sh: $1 done, ${SECONDS}s since the start"; }
stage checks

jobs=$(nproc)
# Line tables only (-g1): backtraces keep file and line, and LibTorch-heavy files compile about a
# quarter faster than with full debug information.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" >/dev/null
cmake --build build -j "$jobs"
stage build
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 900
stage tests
# The installed package, used by a project of its own (CMake, with and without torch; pkg-config).
bash scripts/consumer.sh build
stage consumer

# -O1, as AddressSanitizer's documentation suggests: half the compile time of -O2 -g here.
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -DLEGOLASFLUX_SANITIZE=address,undefined -DLEGOLASFLUX_BUILD_TOOLS=OFF -DLEGOLASFLUX_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan -j "$jobs"
stage "sanitizer build"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 1800
stage "sanitizer tests"

# Every libFuzzer target for 60 s (clang 14 build of its own, build-fuzz); fails on any finding.
bash scripts/fuzz.sh 60
stage fuzz
