#!/usr/bin/env bash
# Builds the .deb, the -dbgsym .deb, the RPM and its -debuginfo once into BUILD/packages-test (again
# only when the binary or the packaging changed) and prints that folder. Shared by the packaging
# tests, which hold the ctest resource lock latchwatch_packages.
set -euo pipefail
source=$1 build=$2
out=$build/packages-test
newest_input=$(find "$build/agent/latchwatch.stripped" "$source/packaging" "$source/LICENSE" \
  -newer "$out/.built" 2>/dev/null | head -1 || true)
if [ ! -f "$out/.built" ] || [ -n "$newest_input" ]; then
  cmake --build "$build" --target latchwatch_stripped latchwatch_man >/dev/null
  rm -rf "$out"
  mkdir -p "$out"
  (cd "$build" && cpack -B "$out" >"$out/cpack.log" 2>&1) || { cat "$out/cpack.log" >&2; exit 1; }
  touch "$out/.built"
fi
echo "$out"
