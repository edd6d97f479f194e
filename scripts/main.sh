#!/usr/bin/env bash
# The main job: builds the project, then writes an Arrow file and reads it back, and reads the
# Julia-written model file from ../shared/fixtures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target legolasflux arrow_roundtrip
mkdir -p build/out
./build/examples/arrow_roundtrip build/out/example.arrow
fixture=../shared/fixtures/julia/test.digits-model.arrow
if [ -f "$fixture" ]; then
  echo
  echo "== the Julia-written model file $fixture"
  ./build/tools/legolasflux/legolasflux arrow validate "$fixture"
  ./build/tools/legolasflux/legolasflux arrow print --max-rows 1 "$fixture"
fi
