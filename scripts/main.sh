#!/usr/bin/env bash
# The main job: the digits example end to end — train a LibTorch model, save it as a
# digits.model@1 row, rebuild it from the row, then run the Julia-written model file and compare
# its output with Julia's numbers. Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" >/dev/null
cmake --build build -j "$(nproc)" --target digits legolasflux
mkdir -p build/out
julia=tests/fixtures/julia
./build/examples/digits --out build/out/digits.model.arrow \
  --julia-file "$julia/test.digits-model.arrow" --julia-input "$julia/digits-input.f32"
echo
./build/tools/legolasflux/legolasflux arrow validate build/out/digits.model.arrow
