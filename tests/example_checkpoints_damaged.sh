#!/bin/sh
# examples/checkpoints with a damaged latest step: trained to 60, one byte of step 60's file flipped
# (in its schema message, or in its weight values), then run again to 100 with --verify. It must
# pass step 60 over, resume from step 50, reach the weights of an uninterrupted run bit for bit,
# and leave the damaged file set aside when it saves step 60 again.
#
#   example_checkpoints_damaged.sh CHECKPOINTS WORK_DIR metadata|values
set -eu
example=$1 dir=$2 where=$3
"$example" --dir "$dir" --steps 60 --fresh >/dev/null
file="$dir/step-0000000060.example.regression.arrow"
case "$where" in
  metadata) offset=20 ;;
  # The first hole of the file checksum: where the weight values start (docs/format.md, "Integrity").
  values) offset=$(( 0x$(grep -a -o '"holes":\[\["[0-9a-f]*' "$file" | head -n 1 | sed 's/.*"//') + 2 )) ;;
  *) echo "usage: $0 CHECKPOINTS WORK_DIR metadata|values" >&2; exit 2 ;;
esac
byte=$(od -A n -t u1 -j "$offset" -N 1 "$file" | tr -d ' ')
printf "\\$(printf '%03o' $(( 255 - byte )))" | dd of="$file" bs=1 seek="$offset" conv=notrunc 2>/dev/null
"$example" --dir "$dir" --steps 100 --verify
# (Step 60, saved again, was then deleted by retention like any other step no policy keeps.)
test -f "$file.damaged"
echo "the damaged file is set aside"
