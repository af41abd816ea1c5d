#!/usr/bin/env bash
# Every C++ file of the tree is formatted as .clang-format says (clang-format 14, Debian 12).
# Prints the files that are not; exit 1 if any. Fix with:
#   git ls-files '*.cpp' '*.h' | xargs clang-format -i
set -euo pipefail
cd "${1:-$(dirname "$0")/../..}"
bad=0 total=0
while IFS= read -r file; do
  total=$((total + 1))
  if ! clang-format --dry-run --Werror "$file" >/dev/null 2>&1; then
    echo "not formatted: $file"
    bad=$((bad + 1))
  fi
done < <(git ls-files '*.cpp' '*.h')
echo "format: $total files checked, $bad not formatted"
[ "$bad" = 0 ]
