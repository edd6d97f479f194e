#!/usr/bin/env bash
# Fails when a C++ file of the project is not formatted as .clang-format says (clang-format 14,
# Debian 12's). `scripts/check_format.sh --fix` formats them instead.
set -euo pipefail
cd "$(dirname "$0")/.."
format=$(command -v clang-format-14 || command -v clang-format) || { echo "check_format: clang-format 14 is not installed" >&2; exit 2; }
mapfile -d '' files < <(git ls-files -z -- 'src/*' 'include/*' 'tools/*' 'tests/*' 'examples/*' 'bench/*' 'fuzz/*' \
  | grep -zE '\.(cpp|hpp|h)$')
if [[ ${1:-} == --fix ]]; then
  "$format" -i "${files[@]}"
  exit 0
fi
if ! "$format" --dry-run --Werror "${files[@]}" 2>"${TMPDIR:-/tmp}/check_format.$$"; then
  grep -E '^[^ ].*: (error|warning):' "${TMPDIR:-/tmp}/check_format.$$" | cut -d: -f1 | sort -u | sed 's/$/: not formatted (scripts\/check_format.sh --fix)/'
  rm -f "${TMPDIR:-/tmp}/check_format.$$"
  exit 1
fi
rm -f "${TMPDIR:-/tmp}/check_format.$$"
echo "check_format: ${#files[@]} files formatted as .clang-format says"
