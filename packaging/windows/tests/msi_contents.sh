#!/usr/bin/env bash
# The MSI that `make windows` built: msiinfo (msitools) must list the service (installed, started
# on install, stopped and removed on uninstall), the binary and the config, and the binary in it
# must be the PE32+ x64 latchwatch.exe that was built.
#   packaging/windows/tests/msi_contents.sh WINDOWS_BUILD
set -euo pipefail
win=${1:-build-windows}
msi=$(ls "$win"/latchwatch-*-x64.msi 2>/dev/null | head -1)
[ -n "$msi" ] || { echo "no latchwatch-*-x64.msi in $win (make windows)" >&2; exit 1; }
fail() { echo "FAIL: $*" >&2; exit 1; }
tables=$(msiinfo tables "$msi")
for table in File Component ServiceInstall ServiceControl Registry; do
  grep -qx "$table" <<<"$tables" || fail "table $table missing from $msi"
done
files=$(msiinfo export "$msi" File)
grep -q $'\tlatchwatch.exe\t' <<<"$files" || grep -q 'latchwatch.exe' <<<"$files" || fail "latchwatch.exe not in File"
grep -q "config.example.json" <<<"$files" || fail "config.example.json not in File"
service=$(msiinfo export "$msi" ServiceInstall)
grep -q $'\tlatchwatch\t' <<<"$service" || fail "no service named latchwatch: $service"
grep -q $'\trun --service\t' <<<"$service" || fail "the service does not run 'run --service': $service"
control=$(msiinfo export "$msi" ServiceControl)
grep -q 'latchwatch' <<<"$control" || fail "no ServiceControl for latchwatch"
registry=$(msiinfo export "$msi" Registry)
grep -q 'EventLog\\Application\\latchwatch' <<<"$registry" || fail "event log source not registered"
# The embedded binary is the one built: extract the cabinet's file and compare.
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
msiextract -C "$out" "$msi" >/dev/null
exe=$(find "$out" -iname latchwatch.exe | head -1)
[ -n "$exe" ] || fail "msiextract found no latchwatch.exe"
cmp -s "$exe" "$win/agent/latchwatch.stripped" || fail "the MSI's latchwatch.exe is not the built one"
file "$exe" | grep -q 'PE32+ executable.*x86-64' || fail "not a PE32+ x64 binary: $(file "$exe")"
echo "ok: $msi: service latchwatch (run --service), latchwatch.exe, config.example.json, event source"
