#!/usr/bin/env bash
# The repository stands alone: nothing in it may read the workplace's shared folder beside the
# clone (CI has that folder, so a test that reads it would pass there and fail everywhere else).
# Checks every file of ROOT (default: the repository; git's tracked and untracked files when ROOT
# is a git work tree, else every file but build trees and node_modules) for a path into it.
# Prints FILE:LINE: TEXT for each; exits 1 if any.
set -euo pipefail
root=${1:-"$(dirname "$0")/.."}
cd "$root"

# Built from pieces so that this script does not name the path itself.
up='\.\.'
pattern="${up}/shared([/\"'\`[:space:]]|$)|(^|[^[:alnum:]_])shared/(fixtures|docs)/"

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  list() { git ls-files -z --cached --others --exclude-standard; }
else
  list() { find . -type f -not -path '*/node_modules/*' -not -path './build*' -not -path '*/.git/*' -print0; }
fi
self=scripts/check_standalone.sh
found=0
while IFS= read -r -d '' f; do
  f=${f#./}
  [[ $f == "$self" || ! -f $f ]] && continue
  if hits=$(grep -I -n -E "$pattern" -- "$f"); then
    while IFS= read -r hit; do echo "$f:$hit"; done <<<"$hits"
    found=1
  fi
done < <(list)

if ((found)); then
  echo "check_standalone: the lines above reach into the workplace's shared folder; keep what they need in the repository (tests/fixtures/julia/, docs/)" >&2
  exit 1
fi
echo "check_standalone: nothing reads outside the repository"
