#!/usr/bin/env bash
# Installs every system dependency of LegolasFlux for C++ from Debian 12's packages, and the
# pinned npm test peers. Idempotent: quick when everything is already present.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build g++ clang clang-14 libclang-rt-14-dev lld-14 clang-format-14 pkg-config
  libflatbuffers-dev flatbuffers-compiler liblz4-dev libzstd-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  libcli11-dev libfmt-dev nlohmann-json3-dev libxxhash-dev
  # LibTorch, and Gloo's headers for torch.distributed's ProcessGroupGloo (c10d; its code is in
  # libtorch_cpu, its headers include Gloo's).
  libtorch-dev libgloo-dev
  # Test peers: Python's torch makes the PyTorch files the converters are tested on; GDAL 3.6
  # produces Arrow C streams for tests/arrow/c_data/gdal_c_stream_test.cpp (loaded with dlopen: the
  # library only, 24 MB, already pulled in by libtorch-dev through OpenCV; no libgdal-dev).
  python3-torch python3-numpy libgdal32
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js (for the apache-arrow JS test peer): the machine's own when present, Debian's otherwise.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Test-only peers (apache-arrow JS), pinned by tests/interop/package-lock.json.
if [ -f tests/interop/package-lock.json ]; then
  if [ ! -d tests/interop/node_modules/apache-arrow ] || \
     [ tests/interop/package-lock.json -nt tests/interop/node_modules/.package-lock.json ]; then
    (cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
