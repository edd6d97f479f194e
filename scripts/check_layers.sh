#!/usr/bin/env bash
# The layer rule (docs/architecture.md), checked on every quoted #include of src/, tools/ and
# include/: a layer uses its own files, the private `common` layer, and the public headers
# (include/legolasflux/…) of the layers below it — never another layer's private files, never a
# public header of a layer above it. A layer with parts (src/arrow/core/, ipc/, …) keeps every file
# in one of them; a part names a file of its own folder by its name ("layout.hpp") and a file of a
# part before it from the layer's folder ("core/layout.hpp"), never one of a part beside or after it.
# Prints each violation as FILE:LINE: why; exits 1 if any.
set -euo pipefail
cd "$(dirname "$0")/.."

# Layers in order. The public headers of layer `model` are those directly in include/legolasflux/;
# errors.hpp and temporaries.hpp (the collection of killed saves' files, implemented in common) belong
# to every layer.
rank() {
  case $1 in
    common) echo 0 ;; arrow) echo 1 ;; legolas) echo 2 ;; model) echo 3 ;; torch) echo 4 ;; tools) echo 5 ;;
    *) echo 99 ;;
  esac
}
# The parts of the layers that have them, in order: a part uses its own files and those of the parts
# of a lower rank. Parts of one rank are independent of each other.
part_rank() {
  case $1 in
    arrow/core) echo 0 ;;
    arrow/ipc | arrow/integration | arrow/c_data) echo 1 ;;
    *) echo 99 ;;
  esac
}
has_parts() { [[ $1 == arrow ]]; }
# The layer of a public header, from its path below include/.
header_layer() {
  case $1 in
    legolasflux/errors.hpp | legolasflux/temporaries.hpp) echo common ;;
    legolasflux/arrow/*) echo arrow ;;
    legolasflux/legolas/*) echo legolas ;;
    legolasflux/torch/*) echo torch ;;
    legolasflux/*/*) echo unknown ;;
    legolasflux/*) echo model ;;
    *) echo unknown ;;
  esac
}

status=0
violation() { echo "$1: $2"; status=1; }

check_file() {
  local file=$1 layer=$2 part=$3 public=$4
  local dir
  dir=$(dirname "$file")
  while IFS=: read -r line target; do
    target=${target#*\"}
    target=${target%%\"*}
    case $target in
      ../* | */../*) violation "$file:$line" "\"$target\" reaches out of its folder; include a public header or common/ instead" ;;
      legolasflux_fbs/*)
        [[ $layer == arrow && $part == ipc && $public == no ]] ||
          violation "$file:$line" "\"$target\" is the IPC format's generated code, private to src/arrow/ipc" ;;
      legolasflux/*)
        local of
        of=$(header_layer "$target")
        if [[ $of == unknown || ! -f include/$target ]]; then
          violation "$file:$line" "\"$target\" is not a public header"
        elif (($(rank "$of") > $(rank "$layer"))); then
          violation "$file:$line" "the $layer layer includes \"$target\", a header of the $of layer above it"
        fi ;;
      common/*)
        if [[ $public == yes ]]; then
          violation "$file:$line" "a public header includes \"$target\", which is private and not installed"
        elif [[ ! -f src/$target ]]; then
          violation "$file:$line" "\"$target\" is not a file of src/common"
        fi ;;
      */*/*) violation "$file:$line" "\"$target\" is another layer's private file" ;;
      */*)
        local to=${target%%/*}
        if [[ $public == yes ]]; then
          violation "$file:$line" "a public header includes \"$target\", which is private and not installed"
        elif [[ -z $part || $(part_rank "$layer/$to") == 99 ]]; then
          violation "$file:$line" "\"$target\" is another layer's private file"
        elif [[ $to == "$part" ]]; then
          violation "$file:$line" "\"$target\" is a file of the including file's own part: include it as \"${target#*/}\""
        elif [[ ! -f src/$layer/$target ]]; then
          violation "$file:$line" "\"$target\" is not a file of src/$layer/$to"
        elif (($(part_rank "$layer/$to") >= $(part_rank "$layer/$part"))); then
          violation "$file:$line" "the $part part includes \"$target\"; a part of the $layer layer uses only the parts before it (scripts/check_layers.sh)"
        fi ;;
      *)
        [[ -f $dir/$target ]] || violation "$file:$line" "\"$target\" is not a file of the including file's own folder" ;;
    esac
  done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file" || true)
}

for layer_dir in src/*/; do
  layer=$(basename "$layer_dir")
  [[ $(rank "$layer") != 99 ]] || { violation "$layer_dir" "a folder of src/ that is no layer (add it to scripts/check_layers.sh)"; continue; }
  while IFS= read -r -d '' f; do
    rel=${f#"$layer_dir"} part=
    if has_parts "$layer"; then
      case $rel in
        */*/*) violation "$f" "the parts of src/$layer have no sub-folders of source files"; continue ;;
        */*)
          part=${rel%%/*}
          [[ $(part_rank "$layer/$part") != 99 ]] || {
            violation "$f" "src/$layer/$part is no part of the $layer layer (add it to scripts/check_layers.sh and docs/architecture.md)"
            continue
          } ;;
        *) violation "$f" "the $layer layer keeps its files in its parts (src/$layer/<part>/, docs/architecture.md)"; continue ;;
      esac
    elif [[ $rel == */* ]]; then
      violation "$f" "the $layer layer has no parts (scripts/check_layers.sh): keep its files in $layer_dir"
      continue
    fi
    check_file "$f" "$layer" "$part" no
  done < <(find "$layer_dir" -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) -print0)
done
while IFS= read -r -d '' f; do check_file "$f" tools "" no; done \
  < <(find tools -type f \( -name '*.cpp' -o -name '*.hpp' \) -print0)
while IFS= read -r -d '' f; do
  check_file "$f" "$(header_layer "${f#include/}")" "" yes
done < <(find include -type f -name '*.hpp' -print0)

if ((status == 0)); then echo "check_layers: every include keeps to the layers"; fi
exit $status
