#!/usr/bin/env bash
# The VM Application commands of packaging/azure/vm-application/vm-application-deb.json, run as
# the VM Application extension runs them (as root, with sh, in the folder holding the package and
# the config under their settings names), on the real .deb in a Debian 11 root:
#   install with a wrong SHA-256 installs nothing; install puts the config in place (kept, no
#   conffile prompt), installs and enables latchwatch, and the installed binary checks the
#   simulator with that config; update (the install command again) keeps an edited config without
#   a prompt; remove purges: no binary, no config, no state.
#   usage: vm_application_deb.sh SOURCE BUILD
set -euo pipefail
source=$1 build=$2
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "needs root (chroot, mounts)"; exit 77; }
# shellcheck source=fleet_root.sh
. "$here/fleet_root.sh"
template=$source/packaging/azure/vm-application/vm-application-deb.json
deb=$(deb_of "$source" "$build")
work=$(mktemp -d "$build/fleet-vmapp.XXXXXX")
sim_pid=""
cleanup() { [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
make_root "$work"
root=$work/root
sha=$(sha256sum "$deb" | cut -d' ' -f1)
action() { "$here/armexpr.py" "$template" "resources.1.properties.publishingProfile.manageActions.$1" packageSha256="$2"; }
action install "$sha" > "$work/install.sh"
action install "$(printf '0%.0s' $(seq 64))" > "$work/install-wrong-sha.sh"
action update "$sha" > "$work/update.sh"
action remove "$sha" > "$work/remove.sh"
cmp -s "$work/install.sh" "$work/update.sh" || { echo "FAIL: update is not the install command"; exit 1; }
grep -q '"packageFileName": "latchwatch.deb"' "$template"
grep -q '"configFileName": "config.json"' "$template"

start_sim "$build" "$work" "$root" key_lost
add_sim_host "$root"
# Where the extension downloads an application: its own folder per application and version.
app=/var/lib/waagent/Microsoft.CPlat.Core.VMApplicationManagerLinux/latchwatch-deb/0.1.0
mkdir -p "$root$app"
cp "$deb" "$root$app/latchwatch.deb"
sim_config "$build" "$work"
cp "$work/sim-config.json" "$root$app/config.json"
cp "$work"/*.sh "$root/tmp/"

cat > "$work/inside.sh" <<'INNER'
set -u
root=$1 app=$2
fail=0
check() { if eval "$1"; then :; else echo "FAIL: $2"; fail=1; fi; }
# systemd is installed in the root but not running: systemctl acts offline, as in an image
# root (enable and is-enabled work on the files; start, stop, restart are no-ops).
export SYSTEMD_OFFLINE=1
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
run() { chroot "$root" sh -c "cd $app && sh /tmp/$1.sh" < /dev/null > "$root/tmp/$1.log" 2>&1; }

run install-wrong-sha && { echo "FAIL: a package with the wrong SHA-256 was accepted"; fail=1; }
check '! chroot "$root" dpkg -s latchwatch >/dev/null 2>&1' "wrong SHA-256: the package got installed"
check 'grep -q "FAILED" "$root/tmp/install-wrong-sha.log"' "wrong SHA-256: sha256sum did not say FAILED"

run install || { echo "FAIL: install: $(cat "$root/tmp/install.log")"; fail=1; }
check 'chroot "$root" dpkg -s latchwatch 2>/dev/null | grep -q "Status: install ok installed"' "install: not installed"
check 'cmp -s "$root$app/config.json" "$root/etc/latchwatch/config.json"' "install: the application's config is not /etc/latchwatch/config.json"
check '[ "$(stat -c "%a %U" "$root/etc/latchwatch/config.json")" = "640 root" ]' "install: config not root 0640"
check '[ -L "$root/etc/systemd/system/multi-user.target.wants/latchwatch.service" ]' "install: latchwatch.service not enabled"
check '! grep -q "What would you like to do about it" "$root/tmp/install.log"' "install: dpkg asked about the conffile"
chroot "$root" latchwatch check --json > "$root/tmp/check.json" 2>/dev/null
check 'grep -q "\"code\": \"key_lost\"" "$root/tmp/check.json"' "install: the installed latchwatch does not see the simulated key loss with the config"

# The update (a new version's install command over the installed package): the application's
# config stays in place, and dpkg never asks about the changed conffile.
run update || { echo "FAIL: update: $(cat "$root/tmp/update.log")"; fail=1; }
check 'cmp -s "$root$app/config.json" "$root/etc/latchwatch/config.json"' "update: config not the application's"
check '! grep -q "What would you like to do about it" "$root/tmp/update.log"' "update: dpkg asked about the conffile"

# Some state, as the daemon leaves it, then remove.
mkdir -p "$root/var/lib/latchwatch/spool" && echo '{}' > "$root/var/lib/latchwatch/report.json"
run remove || { echo "FAIL: remove: $(cat "$root/tmp/remove.log")"; fail=1; }
check '! chroot "$root" dpkg -s latchwatch >/dev/null 2>&1' "remove: dpkg still knows the package (not purged)"
check '[ ! -e "$root/usr/bin/latchwatch" ]' "remove: binary left"
check '[ ! -e "$root/etc/latchwatch" ]' "remove: /etc/latchwatch left"
check '[ ! -e "$root/var/lib/latchwatch" ]' "remove: state left"
check '[ ! -e "$root/etc/systemd/system/multi-user.target.wants/latchwatch.service" ]' "remove: enable link left"
exit $fail
INNER
unshare --mount --propagation private bash "$work/inside.sh" "$root" "$app"
echo "the VM Application's install, update and remove commands install, keep the config and purge the .deb"
