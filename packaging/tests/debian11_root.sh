#!/usr/bin/env bash
# The .deb in a Debian 11 root (glibc 2.31, older than the glibc 2.36 it was built with):
# dpkg installs it (its scripts enable the unit), `latchwatch --version` and a plain
# `latchwatch check` (no --config: it reads the installed /etc/latchwatch/config.json, pointed at
# the simulator on loopback by host names from the root's /etc/hosts) pass there, strace shows it
# loads no shared object even with nsswitch.conf naming NSS modules, then upgrade, remove and
# purge leave what Debian policy says.
#
# The root comes from `debootstrap --variant=minbase bullseye` (deb.debian.org) once, cached as
# a tarball in $LATCHWATCH_TEST_CACHE (default /var/cache/latchwatch-test): about 3.5 minutes the
# first time, seconds after. The chroot shares the host's network namespace, so the simulator runs
# outside it on 127.0.0.1.
set -euo pipefail
# grep -q stops reading at the first match, and under pipefail the writer's SIGPIPE would fail
# the pipeline: has reads all its input.
has() { grep "$@" >/dev/null; }
source=$2 build=$3
[ "$(id -u)" -eq 0 ] || { echo "needs root (debootstrap, chroot, mounts)"; exit 77; }
for tool in debootstrap strace unshare; do
  command -v $tool >/dev/null || { echo "$tool missing (packaging/install-deps.sh test)"; exit 1; }
done
cache=${LATCHWATCH_TEST_CACHE:-/var/cache/latchwatch-test}
mirror=${LATCHWATCH_DEBIAN_MIRROR:-http://deb.debian.org/debian}
tarball=$cache/debian11-minbase.tar
mkdir -p "$cache"
if [ ! -s "$tarball" ]; then
  echo "making the Debian 11 root with debootstrap (once; cached in $tarball)"
  staging=$(mktemp -d "$cache/debootstrap.XXXXXX")
  if ! debootstrap --variant=minbase bullseye "$staging/root" "$mirror" > "$cache/debootstrap.log" 2>&1; then
    tail -20 "$cache/debootstrap.log"; rm -rf "$staging"
    echo "debootstrap bullseye from $mirror failed (see $cache/debootstrap.log)"; exit 1
  fi
  tar -C "$staging/root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
  rm -rf "$staging"
fi
packages=$("$source/packaging/tests/build_packages.sh" "$source" "$build")
version=$(sed -n 's/^project(latchwatch VERSION \([0-9.]*\).*/\1/p' "$source/CMakeLists.txt")
work=$(mktemp -d "$build/debian11-root.XXXXXX")
root=$work/root
sim_pid=""
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$root"
tar -C "$root" -xf "$tarball"
cp "$packages/latchwatch_${version}_amd64.deb" "$root/tmp/latchwatch.deb"

"$build/tests/latchwatch-fabric-sim" --scenario healthy --gpa-dir "$root/vm" --ports-file "$work/ports.json" >/dev/null &
sim_pid=$!
for _ in $(seq 1 100); do [ -s "$work/ports.json" ] && break; sleep 0.1; done
port() { sed -n "s/.*\"$1\":\"127\\.0\\.0\\.1:\\([0-9]*\\)\".*/\\1/p" "$work/ports.json"; }
inside() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" "$work/ports.json" | sed "s|^$root||"; }
cat > "$work/config.sed" <<SED
s|"168.63.129.16:80"|"fabric.latchwatch.test:$(port wireserver)"|
s|"168.63.129.16:32526"|"fabric.latchwatch.test:$(port hostga)"|
s|"169.254.169.254:80"|"fabric.latchwatch.test:$(port imds)"|
s|"127.0.0.1:3080"|"fabric.latchwatch.test:$(port gpa)"|
s|"gpa_key_dir": "[^"]*"|"gpa_key_dir": "$(inside key_dir)"|
s|"gpa_status_file": "[^"]*"|"gpa_status_file": "$(inside status_file)"|
s|"gpa_unit_file": "[^"]*"|"gpa_unit_file": "$(inside unit_file)"|
s|"gpa_binary": "[^"]*"|"gpa_binary": "$(inside binary)"|
s|"smbios_uuid_file": "[^"]*"|"smbios_uuid_file": "$(inside smbios_file)"|
SED

cat > "$work/inside.sh" <<'INNER'
set -eu
work=$1 root=$2 version=$3
fail=0
check() { if eval "$1"; then :; else echo "FAIL: $2"; fail=1; fi; }
has() { grep "$@" >/dev/null; }  # reads all its input, as in the outer script
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
in_root() { chroot "$root" "$@"; }

glibc=$(in_root /lib/x86_64-linux-gnu/libc.so.6 | sed -n '1s/.*version \([0-9.]*\)\..*/\1/p')
echo "root: $(cat "$root/etc/debian_version"), glibc $glibc"
check '[ "$glibc" = 2.31 ]' "the root's glibc is $glibc, not Debian 11's 2.31"

in_root dpkg -i /tmp/latchwatch.deb > "$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; exit 1; }
check '[ -L "$root/etc/systemd/system/multi-user.target.wants/latchwatch.service" ]' "install: unit not enabled"
check '[ "$(stat -c "%a %U" "$root/etc/latchwatch/config.json")" = "640 root" ]' "install: config.json not root 0640"
check 'in_root latchwatch --version | has -x "latchwatch $version"' "latchwatch --version fails in the Debian 11 root"

# Host names resolve from the root's /etc/hosts; nsswitch.conf names modules a static binary
# must not load, and DNS goes to loopback where nothing answers.
echo "127.0.0.1 fabric.latchwatch.test" >> "$root/etc/hosts"
printf 'passwd: files\ngroup: files\nhosts: files mymachines myhostname mdns4_minimal dns\n' > "$root/etc/nsswitch.conf"
echo "nameserver 127.0.0.1" > "$root/etc/resolv.conf"
# The conffile holds only the sinks; the endpoints and paths are written from the example (every
# default), as an operator pointing latchwatch elsewhere would.
cp "$root/usr/share/latchwatch/config.example.json" "$root/etc/latchwatch/config.json"
sed -i -f "$work/config.sed" "$root/etc/latchwatch/config.json"
check 'in_root latchwatch config show | has "fabric.latchwatch.test"' "config show ignores /etc/latchwatch/config.json"

set +e
strace -f -qq -e trace=execve,openat,open -o "$work/strace.log" chroot "$root" /usr/bin/latchwatch check > "$work/check.out" 2> "$work/check.err"
code=$?
set -e
echo "check: exit $code: $(head -1 "$work/check.out")"
check '[ $code -eq 0 ]' "check in the Debian 11 root did not pass: $(cat "$work/check.out" "$work/check.err")"
check 'head -1 "$work/check.out" | has "^LATCHWATCH OK - healthy: .* | wireserver_status=.* incarnation="' "first line is not the plugin line"
loaded=$(awk '/execve\("\/usr\/bin\/latchwatch"/ {on = 1} on' "$work/strace.log" | grep -E '\.so|gconv|libnss' || true)
check '[ -z "$loaded" ]' "the static binary opened shared objects: $loaded"
# A name no file knows goes to DNS (loopback, nothing listening), still without loading a module.
set +e
strace -f -qq -e trace=execve,openat,open -o "$work/strace2.log" chroot "$root" /usr/bin/latchwatch check --gpa nowhere.latchwatch.test:1 --timeout-ms 2000 > "$work/check2.out" 2>&1
set -e
loaded=$(awk '/execve\("\/usr\/bin\/latchwatch"/ {on = 1} on' "$work/strace2.log" | grep -E '\.so|gconv|libnss' || true)
check '[ -z "$loaded" ]' "resolving an unknown name opened shared objects: $loaded"
check 'grep -q "nowhere.latchwatch.test" "$work/check2.out"' "the unresolvable GPA endpoint is not reported"

# Upgrade (the same version again): the changed conffile stays, the unit stays enabled.
in_root dpkg -i /tmp/latchwatch.deb > "$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; exit 1; }
check 'grep -q fabric.latchwatch.test "$root/etc/latchwatch/config.json"' "upgrade replaced the changed config"
check '[ -L "$root/etc/systemd/system/multi-user.target.wants/latchwatch.service" ]' "upgrade: unit no longer enabled"
in_root dpkg -r latchwatch > /dev/null
check '[ ! -e "$root/usr/bin/latchwatch" ]' "remove: binary left"
check '[ -f "$root/etc/latchwatch/config.json" ]' "remove: the conffile must stay"
in_root dpkg -P latchwatch > /dev/null
left=$(find "$root/etc" "$root/var/lib" -name '*latchwatch*' 2>/dev/null | grep -v '/var/lib/dpkg/' || true)
check '[ -z "$left" ]' "purge left: $left"
exit $fail
INNER
unshare --mount --propagation private bash "$work/inside.sh" "$work" "$root" "$version"
echo "the .deb installs, runs check and purges in a Debian 11 root"
