#!/usr/bin/env bash
# The layer rule (docs/architecture.md), checked on every quoted #include of src/, tools/ and
# include/: a layer uses its own files, the private `common` layer, and the public headers
# (include/legolasflux/…) of the layers below it — never another layer's private files, never a
# public header of a layer above it. Prints each violation as FILE:LINE: why; exits 1 if any.
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
  local file=$1 layer=$2 public=$3
  local dir
  dir=$(dirname "$file")
  while IFS=: read -r line target; do
    target=${target#*\"}
    target=${target%%\"*}
    case $target in
      ../* | */../*) violation "$file:$line" "\"$target\" reaches out of its folder; include a public header or common/ instead" ;;
      legolasflux_fbs/*)
        [[ $layer == arrow && $public == no ]] || violation "$file:$line" "\"$target\" is the arrow layer's generated code, private to src/arrow" ;;
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
      */*) violation "$file:$line" "\"$target\" is another layer's private file" ;;
      *)
        [[ $public == no && -f $dir/$target ]] || [[ $public == yes && -f $dir/$target ]] ||
          violation "$file:$line" "\"$target\" is not a file of the including file's own folder" ;;
    esac
  done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file" || true)
}

for layer_dir in src/*/; do
  layer=$(basename "$layer_dir")
  [[ $(rank "$layer") != 99 ]] || { violation "$layer_dir" "a folder of src/ that is no layer (add it to scripts/check_layers.sh)"; continue; }
  while IFS= read -r -d '' f; do check_file "$f" "$layer" no; done \
    < <(find "$layer_dir" -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) -print0)
done
while IFS= read -r -d '' f; do check_file "$f" tools no; done \
  < <(find tools -type f \( -name '*.cpp' -o -name '*.hpp' \) -print0)
while IFS= read -r -d '' f; do
  check_file "$f" "$(header_layer "${f#include/}")" yes
done < <(find include -type f -name '*.hpp' -print0)

if ((status == 0)); then echo "check_layers: every include keeps to the layers"; fi
exit $status
