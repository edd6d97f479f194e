#!/usr/bin/env bash
# scripts/check_layers.sh passes a tree that keeps to the layers and the arrow layer's parts, and
# refuses each way of breaking them (named FILE:LINE), on trees made here and on the repository.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# put FILE INCLUDE...: a file whose line 2, 3, … include the given headers.
put() {
  local file=$1
  shift
  mkdir -p "$(dirname "$file")"
  { echo "// $file"; for h in "$@"; do echo "#include \"$h\""; done; } >"$file"
}

clean=$tmp/clean
mkdir -p "$clean/scripts"
cp "$repo/scripts/check_layers.sh" "$clean/scripts/"
(
  cd "$clean"
  put include/legolasflux/errors.hpp
  put include/legolasflux/arrow/array.hpp legolasflux/errors.hpp
  put include/legolasflux/model.hpp legolasflux/arrow/array.hpp
  put src/common/bytes.hpp
  put src/arrow/core/layout.hpp legolasflux/arrow/array.hpp
  put src/arrow/core/array.cpp layout.hpp common/bytes.hpp legolasflux/arrow/array.hpp
  put src/arrow/ipc/message.hpp legolasflux_fbs/File_generated.h core/layout.hpp
  put src/arrow/ipc/reader.cpp message.hpp core/layout.hpp common/bytes.hpp
  put src/arrow/integration/json.hpp core/layout.hpp
  put src/arrow/c_data/export.cpp core/layout.hpp
  put src/model/row.cpp legolasflux/arrow/array.hpp legolasflux/model.hpp common/bytes.hpp
  put tools/cli/main.cpp legolasflux/model.hpp
)
out=$(bash "$clean/scripts/check_layers.sh" 2>&1) || fail "a tree that keeps to the layers was refused: $out"

# case FILE INCLUDE WHY: FILE including INCLUDE (on line 2) is refused, for WHY.
case_refused() {
  local file=$1 include=$2 why=$3
  rm -rf "$tmp/bad" && cp -r "$clean" "$tmp/bad"
  (cd "$tmp/bad" && put "$file" "$include")
  if out=$(bash "$tmp/bad/scripts/check_layers.sh" 2>&1); then
    fail "$why: $file including \"$include\" passed: $out"
  fi
  grep -q "^$file:" <<<"$out" || fail "$why: the finding does not name $file: $out"
}
case_refused src/arrow/core/x.cpp ipc/message.hpp "the core uses a part after it"
case_refused src/arrow/ipc/x.cpp integration/json.hpp "a part uses a part beside it"
case_refused src/arrow/ipc/x.cpp ipc/message.hpp "a file of its own part by two names"
case_refused src/arrow/ipc/x.cpp core/missing.hpp "a file that the part does not have"
case_refused src/arrow/ipc/x.cpp ../core/layout.hpp "a path out of the folder"
case_refused src/arrow/ipc/x.cpp layout.hpp "another part's file by its bare name"
case_refused src/arrow/integration/x.cpp legolasflux_fbs/File_generated.h "generated code outside IPC"
case_refused src/model/x.cpp legolasflux_fbs/File_generated.h "generated code outside the arrow layer"
case_refused src/model/x.cpp core/layout.hpp "another layer's part"
case_refused src/model/x.cpp arrow/core/layout.hpp "another layer's private file"
case_refused src/arrow/x.cpp core/layout.hpp "a file beside the parts"
case_refused src/arrow/extra/x.cpp core/layout.hpp "a folder that is no part"
case_refused src/arrow/ipc/format/x.cpp core/layout.hpp "a folder inside a part"
case_refused src/model/sub/x.cpp legolasflux/model.hpp "a folder inside a layer without parts"
case_refused include/legolasflux/arrow/x.hpp core/layout.hpp "a public header including a private one"
case_refused include/legolasflux/arrow/x.hpp common/bytes.hpp "a public header including common"
case_refused src/arrow/core/x.cpp legolasflux/model.hpp "a header of a layer above"
case_refused tools/cli/x.cpp core/layout.hpp "a program including a private file"

out=$(bash "$repo/scripts/check_layers.sh" 2>&1) || fail "the repository breaks the layers: $out"
echo "ok"
