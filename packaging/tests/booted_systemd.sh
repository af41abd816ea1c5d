#!/usr/bin/env bash
# The .deb under a booted systemd: a Debian 12 root booted with `systemd-nspawn --boot` (systemd as
# PID 1, --private-network: loopback only, no packet leaves the container), the package installed
# with dpkg as an operator would. Checks: the unit starts and publishes; `systemctl reload` on a bad
# config fails visibly (non-zero, err in the journal) and the daemon keeps running; a config error
# at start (exit 3) leaves the unit failed, not restart-looping; the timer's service runs once
# with one journal line; purge withdraws the textfile and latchwatch's KVP records (someone else's
# stays) and leaves no unit.
#
# The root: `debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus bookworm` once,
# cached as a tarball in $LATCHWATCH_TEST_CACHE (default /var/cache/latchwatch-test). Needs root and
# systemd-nspawn (Debian package systemd-container); skips (77) without them.
set -euo pipefail
has() { grep "$@" >/dev/null; }  # reads all its input (pipefail and grep -q's early exit)
source=$2 build=$3
[ "$(id -u)" -eq 0 ] || { echo "needs root (systemd-nspawn)"; exit 77; }
command -v systemd-nspawn >/dev/null || { echo "systemd-nspawn missing (Debian package systemd-container)"; exit 77; }
command -v nsenter >/dev/null || { echo "nsenter missing (util-linux)"; exit 77; }
cache=${LATCHWATCH_TEST_CACHE:-/var/cache/latchwatch-test}
mirror=${LATCHWATCH_DEBIAN_MIRROR:-http://deb.debian.org/debian}
tarball=$cache/debian12-systemd.tar
mkdir -p "$cache"
if [ ! -s "$tarball" ]; then
  command -v debootstrap >/dev/null || { echo "debootstrap missing (packaging/install-deps.sh test)"; exit 1; }
  echo "making the Debian 12 root with debootstrap (once; cached in $tarball)"
  staging=$(mktemp -d "$cache/debootstrap12.XXXXXX")
  if ! debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus bookworm "$staging/root" "$mirror" > "$cache/debootstrap12.log" 2>&1; then
    tail -20 "$cache/debootstrap12.log"; rm -rf "$staging"; echo "debootstrap bookworm failed"; exit 1
  fi
  tar -C "$staging/root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
  rm -rf "$staging"
fi
packages=$("$source/packaging/tests/build_packages.sh" "$source" "$build")
version=$(sed -n 's/^project(latchwatch VERSION \([0-9.]*\).*/\1/p' "$source/CMakeLists.txt")
work=$(mktemp -d "$build/booted-systemd.XXXXXX")
root=$work/root
nspawn_pid=""
cleanup() {
  if [ -n "$nspawn_pid" ]; then
    kill -TERM "$nspawn_pid" 2>/dev/null || true  # nspawn asks the container's systemd to halt
    for _ in $(seq 1 100); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$nspawn_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$root"
tar -C "$root" -xf "$tarball"
# Not /tmp: nspawn mounts a fresh tmpfs there.
cp "$packages/latchwatch_${version}_amd64.deb" "$root/root/latchwatch.deb"
echo "latchwatch-boot" > "$root/etc/hostname"
# node_exporter's textfile folder exists before the unit starts (ReadWritePaths binds what exists).
mkdir -p "$root/var/lib/prometheus/node-exporter" "$root/var/lib/hyperv"
# Someone else's KVP record (cloud-init's), which purge must keep byte for byte.
{ printf 'CLOUD_INIT|1|boot'; head -c 495 /dev/zero; printf '{}'; head -c 2046 /dev/zero; } > "$root/var/lib/hyperv/.kvp_pool_1"
theirs=$(sha256sum < "$root/var/lib/hyperv/.kvp_pool_1")

systemd-nspawn -q -D "$root" --boot --private-network --register=no --keep-unit \
  -M "lw$$" > "$work/console.log" 2>&1 &
nspawn_pid=$!
leader=""
for _ in $(seq 1 100); do
  leader=$(pgrep -P "$nspawn_pid" | head -1 || true)
  [ -n "$leader" ] && break; sleep 0.1
done
[ -n "$leader" ] || { cat "$work/console.log"; echo "the container did not start"; exit 1; }
inside() { nsenter -t "$leader" -m -u -i -n -p -r -w /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
state=""
for _ in $(seq 1 600); do
  state=$(inside systemctl is-system-running 2>/dev/null || true)
  case "$state" in running|degraded) break ;; esac
  sleep 0.1
done
case "$state" in running|degraded) ;; *) tail -20 "$work/console.log"; echo "the container did not boot ($state)"; exit 1 ;; esac
echo "booted: $(inside cat /etc/debian_version), $(inside systemctl --version | head -1), PID 1 $(inside cat /proc/1/comm)"

fail=0
check() { if eval "$1"; then echo "ok: $2"; else echo "FAIL: $2"; fail=1; fi; }
unit_state() { inside systemctl show -p ActiveState,SubState,Result,NRestarts --value latchwatch.service | tr '\n' ' '; }
wait_for() {  # CONDITION: polls for 30 s at most
  for _ in $(seq 1 300); do eval "$1" && return 0; sleep 0.1; done; return 1
}

# Install: postinst enables and starts the daemon (systemd runs).
inside dpkg -i /root/latchwatch.deb > "$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; exit 1; }
check '[ "$(inside systemctl is-enabled latchwatch.service)" = enabled ]' "install enables latchwatch.service"
# The operator's decisions: KVP and the textfile on.
cat > "$root/etc/latchwatch/config.json" <<'JSON'
{"sinks": {"kvp": {"enabled": true}, "metrics": {"textfile_dir": "/var/lib/prometheus/node-exporter"}}}
JSON
inside systemctl restart latchwatch.service
check 'wait_for "[ -s \"$root/var/lib/prometheus/node-exporter/latchwatch.prom\" ]"' "the unit starts and writes the textfile"
check 'wait_for "grep -q LATCHWATCH\\| \"$root/var/lib/hyperv/.kvp_pool_1\""' "the unit writes its KVP records"
check '[ "$(inside systemctl is-active latchwatch.service)" = active ]' "latchwatch.service active ($(unit_state))"
pid_before=$(inside systemctl show -p MainPID --value latchwatch.service)

# Reload on a bad config: fails visibly, the daemon keeps running the config it had.
cp "$root/etc/latchwatch/config.json" "$work/good.json"
echo '{"sinks": {"webhook": {"enabled": true, "url": ""}}}' > "$root/etc/latchwatch/config.json"
set +e; inside systemctl reload latchwatch.service > "$work/reload.out" 2>&1; reload_rc=$?; set -e
check '[ $reload_rc -ne 0 ]' "systemctl reload on a bad config fails (exit $reload_rc)"
check 'inside journalctl -u latchwatch.service -p err --no-pager -o cat | has "sinks.webhook.url"' "the reload's config error is in the journal at err"
check '[ "$(inside systemctl is-active latchwatch.service)" = active ] && [ "$(inside systemctl show -p MainPID --value latchwatch.service)" = "$pid_before" ]' "the daemon keeps running after the failed reload"

# Exit 3 at start: the unit fails once, no auto-restart (RestartPreventExitStatus=3).
set +e; inside systemctl restart latchwatch.service > /dev/null 2>&1; set -e
wait_for '[ "$(inside systemctl show -p ActiveState --value latchwatch.service)" = failed ] || inside systemctl show -p SubState --value latchwatch.service | has auto-restart' || true
check '[ "$(inside systemctl show -p ActiveState --value latchwatch.service)" = failed ] && [ "$(inside systemctl show -p NRestarts --value latchwatch.service)" = 0 ]' "exit 3 leaves the unit failed, not restart-looping ($(unit_state))"
check 'inside journalctl -u latchwatch.service -p err --no-pager -o cat | has "sinks.webhook.url"' "the start-up config error is at err"

# The timer's service, once: one journal line, the sinks written.
cp "$work/good.json" "$root/etc/latchwatch/config.json"
inside systemctl reset-failed latchwatch.service
rm -f "$root/var/lib/prometheus/node-exporter/latchwatch.prom"
set +e; inside systemctl start latchwatch-check.service > /dev/null 2>&1; set -e
lines=$(inside journalctl -u latchwatch-check.service --no-pager -o cat | grep -c "^LATCHWATCH " || true)
check '[ "$lines" = 1 ]' "latchwatch-check.service leaves one LATCHWATCH line ($lines)"
check '[ -s "$root/var/lib/prometheus/node-exporter/latchwatch.prom" ]' "latchwatch-check.service writes the textfile"

# Back to the daemon, then purge: the signals go, someone else's KVP record stays.
inside systemctl start latchwatch.service
check 'wait_for "[ -s \"$root/var/lib/prometheus/node-exporter/latchwatch.prom\" ]"' "the daemon runs again"
inside dpkg -P latchwatch > "$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail=1; }
check '[ ! -e "$root/var/lib/prometheus/node-exporter/latchwatch.prom" ]' "purge withdraws the textfile"
check '! grep -q "LATCHWATCH|" "$root/var/lib/hyperv/.kvp_pool_1" && [ "$(sha256sum < "$root/var/lib/hyperv/.kvp_pool_1")" = "$theirs" ]' "purge withdraws latchwatch's KVP records, keeps cloud-init's"
check '! inside systemctl list-units --all --no-legend | has latchwatch' "no latchwatch unit is left loaded"
check '[ ! -e "$root/var/lib/latchwatch" ] && [ ! -e "$root/etc/latchwatch" ]' "purge leaves no state or config"
[ $fail -eq 0 ] && echo "the .deb behaves under a booted systemd (Debian 12)"
exit $fail
