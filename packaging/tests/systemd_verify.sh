#!/usr/bin/env bash
# systemd-analyze verify on the units, with ExecStart pointed at the built binary (the installed
# path does not exist on a build machine).
set -euo pipefail
binary=$1 source=$2
command -v systemd-analyze >/dev/null || { echo "systemd-analyze missing (Debian package systemd)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for unit in latchwatch.service latchwatch-check.service latchwatch-check.timer; do
  sed "s|/usr/bin/latchwatch|$binary|g" "$source/packaging/systemd/$unit" > "$work/$unit"
done
cd "$work"
out=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no ./latchwatch.service ./latchwatch-check.service ./latchwatch-check.timer 2>&1) || { echo "$out"; exit 1; }
# verify prints problems as warnings too; any line naming our units is a failure.
if grep -E "latchwatch" <<<"$out"; then exit 1; fi
echo "units verified"
