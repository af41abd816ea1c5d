#!/usr/bin/env bash
# packaging/cloud-init.yaml: `cloud-init schema` (Debian's cloud-init) accepts it, and it works as
# written on a fresh Debian root: its write_files are written as cloud-init writes them, its
# runcmd script runs with sh as cloud-init's runcmd does, with only the two values an owner sets
# (LATCHWATCH_URL: the real .deb as a file:// URL; LATCHWATCH_SHA256). A wrong checksum installs
# nothing; the right one installs, keeps the written config (no conffile prompt), validates it
# and enables the unit with its drop-in.
#   usage: cloud_init.sh SOURCE BUILD
set -euo pipefail
source=$1 build=$2
here=$(cd "$(dirname "$0")" && pwd)
snippet=$source/packaging/cloud-init.yaml
command -v cloud-init >/dev/null || { echo "cloud-init missing (packaging/azure/tests/deps.txt)"; exit 1; }
out=$(cloud-init schema --config-file "$snippet" 2>&1) || { echo "FAIL: cloud-init schema: $out"; exit 1; }
echo "$out"
# The schema check must be able to fail: a broken copy is refused.
broken=$(mktemp)
sed 's/^write_files:/write_files: 3\nwrite_files_broken:/' "$snippet" > "$broken"
if cloud-init schema --config-file "$broken" >/dev/null 2>&1; then rm -f "$broken"; echo "FAIL: cloud-init schema accepts a broken snippet"; exit 1; fi
rm -f "$broken"
[ "$(id -u)" -eq 0 ] || { echo "needs root for the run in a Debian root (chroot)"; exit 77; }
# shellcheck source=fleet_root.sh
. "$here/fleet_root.sh"
deb=$(deb_of "$source" "$build")
work=$(mktemp -d "$build/fleet-cloudinit.XXXXXX")
trap 'rm -rf "$work"' EXIT
make_root "$work"
root=$work/root
cp "$deb" "$root/tmp/latchwatch_test_amd64.deb"
sha=$(sha256sum "$deb" | cut -d' ' -f1)
# write_files as cloud-init does (path, content, owner, permissions), and the runcmd script.
/usr/bin/python3 - "$snippet" "$root" "$work" "$sha" <<'PY'
import os, sys, yaml
snippet, root, work, sha = sys.argv[1:]
doc = yaml.safe_load(open(snippet))
for f in doc["write_files"]:
    path = root + f["path"]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as out:
        out.write(f["content"])
    os.chmod(path, int(str(f.get("permissions", "0644")), 8))
script = [c for c in doc["runcmd"] if isinstance(c, str)]
assert len(script) == 1, "one runcmd script expected"
lines = script[0].splitlines()
assert sum(l.startswith("LATCHWATCH_URL=") for l in lines) == 1 and sum(l.startswith("LATCHWATCH_SHA256=") for l in lines) == 1
def write(name, url, digest):
    with open(os.path.join(work, name), "w") as out:
        for l in lines:
            if l.startswith("LATCHWATCH_URL="): l = f"LATCHWATCH_URL='{url}'"
            if l.startswith("LATCHWATCH_SHA256="): l = f"LATCHWATCH_SHA256='{digest}'"
            out.write(l + "\n")
write("runcmd.sh", "file:///tmp/latchwatch_test_amd64.deb", sha)
write("runcmd-wrong.sh", "file:///tmp/latchwatch_test_amd64.deb", "0" * 64)
PY
cp "$root/etc/latchwatch/config.json" "$work/written-config.json"
cp "$work"/runcmd*.sh "$root/tmp/"
cat > "$work/inside.sh" <<'INNER'
set -u
root=$1 work=$2
fail=0
check() { if eval "$1"; then :; else echo "FAIL: $2"; fail=1; fi; }
# systemd is installed in the root but not running: systemctl acts offline, as in an image
# root (enable and is-enabled work on the files; start, stop, restart are no-ops).
export SYSTEMD_OFFLINE=1
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
if chroot "$root" sh /tmp/runcmd-wrong.sh < /dev/null > "$work/wrong.log" 2>&1; then echo "FAIL: the wrong SHA-256 was accepted"; fail=1; fi
check '! chroot "$root" dpkg -s latchwatch >/dev/null 2>&1' "wrong SHA-256: installed anyway"
chroot "$root" sh /tmp/runcmd.sh < /dev/null > "$work/runcmd.log" 2>&1 || { echo "FAIL: runcmd: $(cat "$work/runcmd.log")"; fail=1; }
check 'chroot "$root" dpkg -s latchwatch 2>/dev/null | grep -q "Status: install ok installed"' "not installed"
check 'cmp -s "$work/written-config.json" "$root/etc/latchwatch/config.json"' "the written config was replaced"
check '[ "$(stat -c "%a" "$root/etc/latchwatch/config.json")" = 640 ]' "config not 0640"
check '[ -L "$root/etc/systemd/system/multi-user.target.wants/latchwatch.service" ]' "latchwatch.service not enabled"
check '[ -f "$root/etc/systemd/system/latchwatch.service.d/sinks.conf" ]' "the drop-in is missing"
check '! grep -q "What would you like to do about it" "$work/runcmd.log"' "dpkg asked about the conffile"
check '[ ! -e "$root/run/latchwatch-install.deb" ]' "the downloaded package was left in /run"
exit $fail
INNER
unshare --mount --propagation private bash "$work/inside.sh" "$root" "$work"
echo "cloud-init.yaml passes cloud-init schema and installs, configures and enables latchwatch as written"
