#!/usr/bin/env bash
# The benchmark of issue #7: builds legolasflux_bench in Release and runs it on the 16 MiB, 256 MiB
# and 1 GiB models (about 6 GB of RAM and several minutes). Arguments go to the program, e.g.
#   bash scripts/bench.sh --sizes 16m,256m --reps 3 --dir /var/tmp --check
# BUILD_DIR overrides the build directory (default build-bench). Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
build="${BUILD_DIR:-build-bench}"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLEGOLASFLUX_BUILD_BENCH=ON >/dev/null
targets=$(cmake --build "$build" --target help)  # whole, not piped: grep -q would cut the pipe
if ! grep -q '^legolasflux_bench:' <<<"$targets"; then
  echo "bench.sh: legolasflux_bench is not configured in $build (it needs LibTorch and g++)" >&2
  exit 1
fi
cmake --build "$build" -j "$(nproc)" --target legolasflux_bench
exec "$build/bench/legolasflux_bench" "$@"
