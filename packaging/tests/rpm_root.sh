#!/usr/bin/env bash
# Installs the RPM into an empty scratch root with `rpm --root`, runs the installed binary from
# that root (chrooted: a root with nothing else in it, no libc, no /etc) against the simulator on
# loopback, checks rpm's own view (-q, -V, config flags), then erases it.
#
# --nodeps: the scratch root has no package database of a base system, so the scriptlets'
# /bin/sh cannot be resolved (the binary itself requires nothing). --noscripts: the root has no
# shell to run the scriptlets in; packaging/tests/maintainer_scripts.sh runs them instead.
set -euo pipefail
# grep -q stops reading at the first match, and under pipefail the writer's SIGPIPE would fail
# the pipeline: has reads all its input.
has() { grep "$@" >/dev/null; }
source=$2 build=$3
[ "$(id -u)" -eq 0 ] || { echo "needs root (chroot)"; exit 77; }
command -v rpm >/dev/null || { echo "rpm missing (packaging/install-deps.sh test)"; exit 1; }
packages=$("$source/packaging/tests/build_packages.sh" "$source" "$build")
version=$(sed -n 's/^project(latchwatch VERSION \([0-9.]*\).*/\1/p' "$source/CMakeLists.txt")
rpm_file=$packages/latchwatch-${version}-1.x86_64.rpm
work=$(mktemp -d)
root=$work/root
sim_pid=""
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$root"
rpm --root "$root" --initdb
rpm --root "$root" -i --nodeps --noscripts "$rpm_file" 2>/dev/null
rpm --root "$root" -q latchwatch | has -x "latchwatch-${version}-1.x86_64"
[ -z "$(rpm --root "$root" -V --nodeps latchwatch 2>/dev/null)" ] || { echo "rpm -V reports changes right after install"; rpm --root "$root" -V --nodeps latchwatch; exit 1; }
[ "$(stat -c '%a %U' "$root/etc/latchwatch/config.json")" = "640 root" ] || { echo "config.json mode $(stat -c '%a %U' "$root/etc/latchwatch/config.json")"; exit 1; }
rpm --root "$root" -q --configfiles latchwatch | has -x /etc/latchwatch/config.json

chroot "$root" /usr/bin/latchwatch --version | has -x "latchwatch $version"
"$build/tests/latchwatch-fabric-sim" --scenario healthy --gpa-dir "$root/vm" --ports-file "$work/ports.json" >/dev/null &
sim_pid=$!
for _ in $(seq 1 100); do [ -s "$work/ports.json" ] && break; sleep 0.1; done
# The simulator's files are under $root/vm: inside the chroot they are /vm.
flags=$(sed -n 's/.*"check_flags":\[\([^]]*\)\].*/\1/p' "$work/ports.json" | tr -d '"' | tr ',' ' ' | sed "s|$root||g")
mkdir -p "$root/state"
# shellcheck disable=SC2086
chroot "$root" /usr/bin/latchwatch check --json $flags --state-dir /state --proc-root /vm > "$work/report.json"
grep -q '"code": "healthy"' "$work/report.json" || { echo "check in the RPM root did not pass"; cat "$work/report.json"; exit 1; }

# A changed %config(noreplace) file survives erase as .rpmsave.
echo '{}' > "$root/etc/latchwatch/config.json"
rpm --root "$root" -e --noscripts latchwatch
[ ! -e "$root/usr/bin/latchwatch" ] || { echo "binary left after erase"; exit 1; }
[ -f "$root/etc/latchwatch/config.json.rpmsave" ] || { echo "changed config not kept as .rpmsave"; exit 1; }
echo "RPM installs into a scratch root, runs check there, and erases"
