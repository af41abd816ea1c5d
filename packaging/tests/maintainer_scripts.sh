#!/usr/bin/env bash
# The maintainer scripts do what Debian's deb-systemd-helper scripts and RPM's systemd macros do:
# enable on install, restart on upgrade, stop and clean up (enable symlinks, masks, state) on
# remove and purge / erase.
#
# The Debian half runs the real deb-systemd-helper against a private /etc/systemd/system and
# /var/lib (a mount namespace of its own), so the enable symlinks it checks are real. systemd does
# not run as PID 1 here, so `systemctl` is wrapped: every call is recorded, and only what needs
# a running systemd (start/restart/stop/try-restart/daemon-reload/is-active) is answered by the
# wrapper; enable, disable, preset and mask are the real systemctl working on the files.
# packaging/tests/debian11_root.sh installs, upgrades and purges the .deb with dpkg for real.
set -euo pipefail
binary=$1 source=$2 build=$3
[ "$(id -u)" -eq 0 ] || { echo "needs root (mount namespace)"; exit 77; }
command -v deb-systemd-helper >/dev/null || { echo "deb-systemd-helper missing (init-system-helpers)"; exit 1; }
command -v rpm >/dev/null || { echo "rpm missing (packaging/install-deps.sh test)"; exit 1; }
packages=$("$source/packaging/tests/build_packages.sh" "$source" "$build")
version=$(sed -n 's/^project(latchwatch VERSION \([0-9.]*\).*/\1/p' "$source/CMakeLists.txt")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/stub" "$work/deb" "$work/rpm"
real_systemctl=$(command -v systemctl) || { echo "systemctl missing (Debian package systemd)"; exit 1; }
cat > "$work/stub/systemctl" <<STUB
#!/bin/sh
# Records every call. What needs systemd as PID 1 (start, stop, restart, try-restart,
# daemon-reload, is-active, and the stop half of --now) is answered here; the rest (enable,
# disable, preset, mask, is-enabled) is the real systemctl, which works offline on the files.
echo "\$*" >> "$work/systemctl.log"
case " \$* " in
  *" is-active "*) exit 3 ;;
  *" start "*|*" stop "*|*" restart "*|*" try-restart "*|*" daemon-reload "*|*" --version "*) exit 0 ;;
esac
args=\$(echo " \$* " | sed 's/ --now / /')
# --root=/: work on the files even where /run/systemd/system pretends systemd runs.
exec $real_systemctl --root=/ \$args
STUB
chmod +x "$work/stub/systemctl"
dpkg-deb -e "$packages/latchwatch_${version}_amd64.deb" "$work/deb"
# rpm -qp --scripts prints "postinstall scriptlet (using /bin/sh):" headers before each script.
rpm -qp --scripts "$packages/latchwatch-${version}-1.x86_64.rpm" 2>/dev/null | awk -v dir="$work/rpm" '
  /^postinstall scriptlet/ {out = dir "/post"; next}
  /^preuninstall scriptlet/ {out = dir "/preun"; next}
  /^postuninstall scriptlet/ {out = dir "/postun"; next}
  /scriptlet \(using/ {out = ""; next}
  out != "" {print > out}'
for s in post preun postun; do [ -s "$work/rpm/$s" ] || { echo "rpm has no %$s scriptlet"; exit 1; }; done

cat > "$work/run.sh" <<'INNER'
set -eu
work=$1 unit_dir=$2 binary=$3
# A private world: units, enable symlinks, deb-systemd-helper's state, /run.
mount -t tmpfs tmpfs /etc/systemd/system
mount -t tmpfs tmpfs /var/lib
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /usr/lib/systemd/system
cp "$unit_dir"/latchwatch.service "$unit_dir"/latchwatch-check.service "$unit_dir"/latchwatch-check.timer /usr/lib/systemd/system/
# The installed binary, for the remove scripts' `latchwatch withdraw`: /usr/bin as an overlay, so
# the host's stays untouched.
mkdir -p "$work/usr-bin/upper" "$work/usr-bin/work"
mount -t overlay overlay -o "lowerdir=/usr/bin,upperdir=$work/usr-bin/upper,workdir=$work/usr-bin/work" /usr/bin
cp "$binary" /usr/bin/latchwatch
# What latchwatch published, at the default paths (no /etc/latchwatch/config.json here): the
# node_exporter textfile, a KVP record beside someone else's, the latest report.
publish_signals() {
  mkdir -p /var/lib/prometheus/node-exporter /var/lib/hyperv /var/lib/latchwatch
  echo "latchwatch_key_alert_firing 1" > /var/lib/prometheus/node-exporter/latchwatch.prom
  python3 -c "import sys; r = lambda k, v: k.ljust(512, b'\\0') + v.ljust(2048, b'\\0'); sys.stdout.buffer.write(r(b'CLOUD_INIT|1|boot', b'{}') + r(b'LATCHWATCH|vm|verdict', b'{\"verdict\":\"key_lost\"}'))" > /var/lib/hyperv/.kvp_pool_1
  echo '{"verdict": "key_lost"}' > /var/lib/latchwatch/report.json
}
signals_withdrawn() {
  [ ! -e /var/lib/prometheus/node-exporter/latchwatch.prom ] && [ ! -e /var/lib/latchwatch/report.json ] &&
    [ "$(stat -c %s /var/lib/hyperv/.kvp_pool_1)" = 2560 ] && ! grep -q "LATCHWATCH|" /var/lib/hyperv/.kvp_pool_1 &&
    grep -q "CLOUD_INIT|1|boot" /var/lib/hyperv/.kvp_pool_1
}
# Containers often carry a policy-rc.d that forbids starting services (exit 101): allow here,
# as on a VM.
if [ -e /usr/sbin/policy-rc.d ]; then mount --bind /bin/true /usr/sbin/policy-rc.d; fi
export PATH="$work/stub:$PATH"
# What dpkg sets for a maintainer script; deb-systemd-helper refuses to run without it.
export DPKG_MAINTSCRIPT_PACKAGE=latchwatch DPKG_MAINTSCRIPT_ARCH=amd64
fail=0
check() { if eval "$1"; then :; else echo "FAIL: $2"; fail=1; fi; }
log() { cat "$work/systemctl.log" 2>/dev/null || true; }
wants=/etc/systemd/system/multi-user.target.wants/latchwatch.service

# Debian, no systemd running (an image build, a chroot): enable, create state, start nothing.
sh "$work/deb/postinst" configure ""
check '[ -L $wants ]' "deb install: latchwatch.service not enabled"
check '[ ! -e /etc/systemd/system/timers.target.wants/latchwatch-check.timer ]' "deb install: the timer must not be enabled"
check '[ "$(stat -c %a /var/lib/latchwatch)" = 750 ]' "deb install: /var/lib/latchwatch not 0750"
check '! grep -qE "(^| )(start|restart) " "$work/systemctl.log" 2>/dev/null' "deb install without systemd: nothing may start"

# Debian, systemd running: start on install, restart on upgrade, stop on remove.
mkdir -p /run/systemd/system
: > "$work/systemctl.log"
sh "$work/deb/postinst" configure ""
check 'log | grep -qE "(^| )start latchwatch.service$"' "deb install: not started ($(log | tr '\n' ';'))"
: > "$work/systemctl.log"
sh "$work/deb/postinst" configure 0.0.9
check 'log | grep -qE "(^| )restart latchwatch.service$"' "deb upgrade: not restarted ($(log | tr '\n' ';'))"
: > "$work/systemctl.log"
publish_signals
sh "$work/deb/prerm" upgrade 0.2.0
check '! log | grep -q stop' "deb upgrade: prerm must not stop (postinst restarts)"
check '[ -e /var/lib/prometheus/node-exporter/latchwatch.prom ]' "deb upgrade: prerm must not withdraw (the daemon goes on)"
sh "$work/deb/prerm" remove
check 'signals_withdrawn' "deb remove: published signals left (textfile, KVP record or report)"
check 'log | grep -q "stop latchwatch.service"' "deb remove: not stopped ($(log | tr '\n' ';'))"
sh "$work/deb/postrm" remove
check '[ "$(readlink /etc/systemd/system/latchwatch.service)" = /dev/null ]' "deb remove: not masked"
# An admin had enabled the timer by hand; purge leaves no enable symlink or mask behind.
mkdir -p /etc/systemd/system/timers.target.wants
ln -s /usr/lib/systemd/system/latchwatch-check.timer /etc/systemd/system/timers.target.wants/
sh "$work/deb/postrm" purge
check '[ -z "$(find /etc/systemd/system -name "latchwatch*")" ]' "deb purge: left $(find /etc/systemd/system -name 'latchwatch*' | tr '\n' ' ')"
check '[ -z "$(find /var/lib/systemd -name "*latchwatch*" 2>/dev/null)" ]' "deb purge: deb-systemd-helper state left"
check '[ ! -e /var/lib/latchwatch ]' "deb purge: state folder left"
# A re-install after purge enables again.
sh "$work/deb/postinst" configure ""
check '[ -L $wants ]' "deb re-install after purge: not enabled"

# RPM: $1 counts the package's instances after the transaction, as rpm passes it.
: > "$work/systemctl.log"
rm -rf /var/lib/latchwatch
sh "$work/rpm/post" 1
check 'log | grep -qx -- "--no-reload enable latchwatch.service"' "rpm install: not enabled ($(log | tr '\n' ';'))"
check '[ -L $wants ]' "rpm install: no enable symlink"
check '[ "$(stat -c %a /var/lib/latchwatch)" = 750 ]' "rpm install: /var/lib/latchwatch not 0750"
: > "$work/systemctl.log"
publish_signals
sh "$work/rpm/post" 2; sh "$work/rpm/preun" 1; sh "$work/rpm/postun" 1
check '[ -e /var/lib/prometheus/node-exporter/latchwatch.prom ]' "rpm upgrade: must not withdraw"
check '! log | grep -q "enable\|disable"' "rpm upgrade: must not enable or disable ($(log | tr '\n' ';'))"
check 'log | grep -qx "try-restart latchwatch.service"' "rpm upgrade: not restarted ($(log | tr '\n' ';'))"
: > "$work/systemctl.log"
sh "$work/rpm/preun" 0
check 'signals_withdrawn' "rpm erase: published signals left (textfile, KVP record or report)"
publish_signals  # and what appeared after %preun (binary gone) goes with %postun's cleanup
rm -f /usr/bin/latchwatch
sh "$work/rpm/postun" 0
check '[ ! -e /var/lib/prometheus/node-exporter/latchwatch.prom ]' "rpm erase: %postun left the textfile"
check 'log | grep -qx -- "--no-reload disable --now latchwatch.service latchwatch-check.timer"' "rpm erase: not stopped and disabled ($(log | tr '\n' ';'))"
check '[ -z "$(find /etc/systemd/system -name "latchwatch*")" ]' "rpm erase: left $(find /etc/systemd/system -name 'latchwatch*' | tr '\n' ' ')"
check '! log | grep -q restart' "rpm erase: must not restart"
check '[ ! -e /var/lib/latchwatch ]' "rpm erase: state folder left"
exit $fail
INNER
unshare --mount --propagation private sh "$work/run.sh" "$work" "$source/packaging/systemd" "$binary"
echo "maintainer scripts enable, restart, stop and clean up as debhelper and the RPM macros do"
