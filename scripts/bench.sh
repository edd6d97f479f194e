#!/usr/bin/env bash
# The benchmarks, built in Release:
#   - legolasflux_cli_bench: whole `legolasflux` processes (arrow validate, inspect, validate of
#     Julia's digits file) against a minimal program that opens and validates the same file
#     (a few seconds; target cli_start_vs_minimal <= 2);
#   - legolasflux_bench, the benchmark of issue #7: the 16 MiB, 256 MiB and 1 GiB models (about
#     6 GB of RAM and several minutes);
#   - legolasflux_async_bench: how long CheckpointManager::save_async blocks the caller at 256 MiB
#     and 1 GiB against one memcpy of the same bytes (target async_save_block_vs_memcpy <= 1.3),
#     and what a training step loses to a save in the background;
#   - legolasflux_flux_bench: inference of a conv net and a two-layer LSTM built with
#     legolasflux::flux against the same networks in plain LibTorch modules, batch 32 (targets
#     flux_forward_vs_libtorch_conv and _lstm <= 1.1);
#   - legolasflux_sharded_bench: 2 ranks saving halves of a 1 GiB model against one process saving it
#     whole (target sharded_save_2r_vs_1r <= 0.8), and 2 ranks loading a 4-rank checkpoint against
#     one process loading the consolidated row (target reshard_load_vs_load <= 1.5).
# Arguments go to legolasflux_bench (--check to both), e.g.
#   bash scripts/bench.sh --sizes 16m,256m --reps 3 --dir /var/tmp --check
# With `cli` first, only the CLI benchmark runs, with the arguments that follow:
#   bash scripts/bench.sh cli [--reps N] [--check]
# BUILD_DIR overrides the build directory (default build-bench). Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
build="${BUILD_DIR:-build-bench}"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLEGOLASFLUX_BUILD_BENCH=ON >/dev/null
targets=$(cmake --build "$build" --target help)  # whole, not piped: grep -q would cut the pipe

if [[ ${1:-} == cli ]]; then
  shift
  cmake --build "$build" -j "$(nproc)" --target legolasflux_cli_bench
  exec "$build/bench/legolasflux_cli_bench" "$@"
fi

if ! grep -q '^legolasflux_bench:' <<<"$targets"; then
  echo "bench.sh: legolasflux_bench is not configured in $build (it needs LibTorch and g++)" >&2
  exit 1
fi
cmake --build "$build" -j "$(nproc)" --target legolasflux_bench legolasflux_cli_bench legolasflux_async_bench \
  legolasflux_sharded_bench legolasflux_flux_bench
cli_args=()
for a in "$@"; do [[ $a == --check ]] && cli_args+=(--check); done
async_status=0
"$build/bench/legolasflux_async_bench" "${cli_args[@]}" || async_status=$?
echo
sharded_status=0
"$build/bench/legolasflux_sharded_bench" "${cli_args[@]}" || sharded_status=$?
async_status=$((sharded_status > async_status ? sharded_status : async_status))
echo
flux_status=0
"$build/bench/legolasflux_flux_bench" "${cli_args[@]}" || flux_status=$?
async_status=$((flux_status > async_status ? flux_status : async_status))
echo
# Both run even when the first misses a target; the exit code is the worse of the two.
cli_status=0
"$build/bench/legolasflux_cli_bench" "${cli_args[@]}" || cli_status=$?
echo
bench_status=0
"$build/bench/legolasflux_bench" "$@" || bench_status=$?
worst=$((cli_status > bench_status ? cli_status : bench_status))
exit $((worst > async_status ? worst : async_status))
