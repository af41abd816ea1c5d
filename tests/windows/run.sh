#!/usr/bin/env bash
# `make windows-test`: the Windows build's tests under wine64, then `check` under wine against the
# (Linux) fabric simulator, then the MSI's contents.
#   tests/windows/run.sh WINDOWS_BUILD NATIVE_BUILD
set -euo pipefail
cd "$(dirname "$0")/../.."
win=${1:-build-windows}
native=${2:-build}
# A prefix of our own, so a developer's ~/.wine is left alone; created once (10-30 s), reused.
export WINEPREFIX=${WINEPREFIX:-$HOME/.wine-latchwatch}
export WINEDEBUG=${WINEDEBUG:--all}
export WINEDLLOVERRIDES="mscoree,mshtml="  # no Mono/Gecko installer prompts in a fresh prefix
wine=/usr/lib/wine/wine64
"$wine" wineboot --init >/dev/null 2>&1
/usr/lib/wine/wineserver -p  # one server for every test process, until this script ends
trap '/usr/lib/wine/wineserver -k 2>/dev/null || true' EXIT

echo "== unit and Windows tests under wine"
(cd "$win" && ctest --output-on-failure --no-tests=error -j"$(nproc)" -L windows)
echo "== check under wine against the fabric simulator, verdict for verdict with Linux"
tests/windows/check_under_wine.sh "$win" "$native"
echo "== the MSI"
packaging/windows/tests/msi_contents.sh "$win"
