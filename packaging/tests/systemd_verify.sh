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
# The timer's service is hardened exactly as the daemon.
hardening() { sed -n '/^User=root/,/^TasksMax/p' "$source/packaging/systemd/$1"; }
diff <(hardening latchwatch.service) <(hardening latchwatch-check.service) ||
  { echo "latchwatch-check.service is hardened differently from latchwatch.service"; exit 1; }
# What `config validate` believes the sandbox allows is what the unit allows.
unit_paths=$(sed -n 's/^ReadWritePaths=//p' "$source/packaging/systemd/latchwatch.service" | tr ' ' '\n' | sed 's/^-//' | sort)
code_paths=$(sed -n '/kWritable\[\]/,/};/p' "$source/agent/config/config_checks.cpp" | grep -o '"/[^"]*"' | tr -d '"' | grep -v '^/var/lib/latchwatch$' | sort)
[ "$unit_paths" = "$code_paths" ] || { echo "ReadWritePaths ($unit_paths) differ from agent/config/config_checks.cpp ($code_paths)"; exit 1; }
unit_hosts=$(sed -n 's/^IPAddressAllow=//p' "$source/packaging/systemd/latchwatch.service" | tr ' ' '\n' | grep -v '^localhost$' | sort)
code_hosts=$(sed -n '/kAllowedHosts\[\]/,/;/p' "$source/agent/config/config_checks.cpp" | grep -o '"[0-9.]*"' | tr -d '"' | sort)
[ "$unit_hosts" = "$code_hosts" ] || { echo "IPAddressAllow ($unit_hosts) differs from agent/config/config_checks.cpp ($code_hosts)"; exit 1; }
# Issue 27: loud failures and the timer as a first-class mode.
unit=$source/packaging/systemd/latchwatch.service
timer_unit=$source/packaging/systemd/latchwatch-check.service
grep -qx 'RestartPreventExitStatus=3' "$unit" || { echo "exit 3 (config error) would restart-loop"; exit 1; }
[ "$(grep '^ExecReload=' "$unit" | head -1)" = "ExecReload=/usr/bin/latchwatch config validate /etc/latchwatch/config.json" ] ||
  { echo "reload does not validate the config before signalling"; exit 1; }
grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' "$unit" || { echo "reload no longer signals the daemon"; exit 1; }
for u in "$unit" "$timer_unit"; do
  for kvp in hv-kvp-daemon.service hypervkvpd.service; do
    grep -q "^After=.*$kvp" "$u" && grep -q "^Wants=.*$kvp" "$u" || { echo "$(basename "$u") not ordered after $kvp"; exit 1; }
    ! grep -q "^\(Requires\|BindsTo\|Requisite\)=.*$kvp" "$u" || { echo "$(basename "$u") hard-depends on $kvp"; exit 1; }
  done
done
grep -q '^ExecStart=/usr/bin/latchwatch check --publish ' "$timer_unit" || { echo "the timer's service does not publish"; exit 1; }
! grep -q '^SuccessExitStatus=.*2' "$timer_unit" || { echo "the timer's service succeeds on a key verdict"; exit 1; }
echo "units verified"
