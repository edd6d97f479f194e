#!/usr/bin/env bash
# Installs a built tree into a temporary prefix, then uses it as a user would: builds and runs the
# consumer project tests/consumer with find_package(LegolasFlux), without and with the torch
# component, checks that asking for a component that does not exist fails clearly, and compiles the
# consumer once more with `pkg-config --cflags --libs legolasflux` alone. The installed CLI must not
# load LibTorch (ldd), and, when built with torch, must convert a PyTorch state dict through the
# installed legolasflux-torch and read the result back.
#
#   scripts/consumer.sh [BUILD_DIR]     (default: build; it must be built already)
#
# When the build has no torch adapter (no LibTorch, or clang < 16), the torch step checks instead
# that find_package(LegolasFlux COMPONENTS torch) fails and says why.
set -euo pipefail
cd "$(dirname "$0")/.."
source_dir=$PWD
build=$(realpath "${1:-build}")

if [[ ! -f $build/CMakeCache.txt ]]; then
  echo "consumer.sh: $build is not a configured build directory" >&2
  exit 2
fi
cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
work=$(mktemp -d "${TMPDIR:-/tmp}/legolasflux-consumer.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

step() { echo "consumer.sh: $*"; }
fail() { echo "consumer.sh: FAILED: $*" >&2; exit 1; }
# says LOG TEXT: whether LOG contains TEXT, whatever line breaks CMake put into its messages.
says() { tr -s ' \n' ' ' <"$1" | grep -qF "$2" || { cat "$1" >&2; return 1; }; }

step "installing $build into a temporary prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log" || { cat "$work/install.log" >&2; fail "cmake --install"; }
cmake_dir=$(dirname "$(find "$prefix" -name LegolasFluxConfig.cmake -print -quit)")
[[ -f $cmake_dir/LegolasFluxConfigVersion.cmake && -f $cmake_dir/LegolasFluxTargets.cmake ]] \
  || fail "no CMake package under $prefix"
[[ -f $prefix/include/legolasflux/legolasflux.hpp ]] || fail "public headers not installed"
if find "$prefix" -name '*_generated.h' | grep -q .; then
  fail "FlatBuffers generated headers were installed; they are private to the library"
fi
"$prefix/bin/legolasflux" --help >/dev/null || fail "the installed CLI does not run"
# Loading LibTorch costs every command about a second: only legolasflux-torch may link it.
# Only library names count: load addresses are hex and may contain "c10" by chance.
if ldd "$prefix/bin/legolasflux" | awk '{print $1}' | grep -Ei '(^|/)lib(torch|c10)'; then
  fail "the installed legolasflux loads LibTorch (the libraries above)"
fi
version=$(sed -n 's/^set(PACKAGE_VERSION "\([0-9]*\)\.\([0-9]*\)\..*/\1 \2/p' "$cmake_dir/LegolasFluxConfigVersion.cmake")
read -r major minor <<<"$version"
[[ -n $minor ]] || fail "no version in LegolasFluxConfigVersion.cmake"

# configure NAME [cmake args…]: configures tests/consumer into $work/NAME against the prefix only.
configure() {
  local name=$1
  shift
  cmake -S "$source_dir/tests/consumer" -B "$work/$name" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" -DREQUIRED_VERSION="$major.$minor" "$@" \
    >"$work/$name.log" 2>&1
}
build_and_run() {
  local name=$1
  shift
  cmake --build "$work/$name" >>"$work/$name.log" 2>&1 || { cat "$work/$name.log" >&2; fail "building the $name consumer"; }
  for program in "$@"; do
    "$work/$name/$program" "$work/$name" || fail "$program (the $name consumer)"
  done
}

step "find_package(LegolasFlux) without components"
configure plain || { cat "$work/plain.log" >&2; fail "configuring the consumer"; }
build_and_run plain consumer

if [[ -f $cmake_dir/LegolasFluxTorchTargets.cmake ]]; then
  step "find_package(LegolasFlux COMPONENTS torch)"
  configure torch -DWITH_TORCH=ON || { cat "$work/torch.log" >&2; fail "configuring the torch consumer"; }
  build_and_run torch consumer_torch

  step "the installed legolasflux converts a PyTorch state dict (through the installed legolasflux-torch)"
  [[ -x $prefix/bin/legolasflux-torch ]] || fail "legolasflux-torch is not installed beside legolasflux"
  mkdir -p "$work/convert"
  # Debian's python3-torch: /usr/bin/python3, as the tests use it, not whatever python3 PATH finds first.
  (cd "$work/convert" && /usr/bin/python3 -c "import torch; torch.save({'w': torch.ones(2, 3)}, 'model.pt')") \
    || fail "python3 with torch (python3-torch) could not write model.pt"
  "$prefix/bin/legolasflux" convert "$work/convert/model.pt" "$work/convert/out.arrow" >"$work/convert/log" 2>&1 \
    || { cat "$work/convert/log" >&2; fail "legolasflux convert model.pt out.arrow"; }
  "$prefix/bin/legolasflux" inspect "$work/convert/out.arrow" >"$work/convert/inspect" 2>&1 \
    || { cat "$work/convert/inspect" >&2; fail "legolasflux inspect of the converted file"; }
  grep -q 'legolas-flux.model@1' "$work/convert/inspect" \
    && grep -Eq '^ +0 +w +Float32 +\(3, 2\) +\[2, 3\] +6 ' "$work/convert/inspect" \
    || { cat "$work/convert/inspect" >&2; fail "the converted file does not hold the state dict's tensor w"; }
else
  step "the torch component was not built: asking for it must fail clearly"
  if configure torch -DWITH_TORCH=ON; then fail "find_package(LegolasFlux COMPONENTS torch) succeeded"; fi
  says "$work/torch.log" "the torch component was not built" || fail "unclear message"
fi

step "an unknown component must fail clearly"
if configure unknown -DEXTRA_COMPONENTS=nosuch; then fail "find_package(LegolasFlux COMPONENTS nosuch) succeeded"; fi
says "$work/unknown.log" 'unknown component "nosuch"' || fail "unclear message"

# Before 1.0 a minor release may break the API: asking for the next one must not find this one.
if [[ $major == 0 ]]; then
  step "find_package(LegolasFlux 0.$((minor + 1))) must not accept $major.$minor"
  if configure next_minor -DREQUIRED_VERSION="0.$((minor + 1))"; then fail "version 0.$((minor + 1)) was accepted"; fi
  says "$work/next_minor.log" "compatible with requested version" || fail "unclear message"
fi

step "pkg-config --cflags --libs legolasflux"
pc_dir=$(dirname "$(find "$prefix" -name legolasflux.pc -print -quit)")
flags=$(PKG_CONFIG_PATH=$pc_dir pkg-config --cflags --libs legolasflux) || fail "pkg-config legolasflux"
mkdir -p "$work/pkg-config"
# shellcheck disable=SC2086  # the flags are words
"$cxx" -std=c++20 "$source_dir/tests/consumer/main.cpp" $flags -o "$work/pkg-config/consumer" \
  || fail "compiling with pkg-config's flags: $flags"
# pkg-config sets no run-time path: shared libraries are found through LD_LIBRARY_PATH.
LD_LIBRARY_PATH=$(PKG_CONFIG_PATH=$pc_dir pkg-config --variable=libdir legolasflux)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
  "$work/pkg-config/consumer" "$work/pkg-config" || fail "the pkg-config consumer"

step "all passed"
