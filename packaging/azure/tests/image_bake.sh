#!/usr/bin/env bash
# The image routes' Linux steps, run on the real .deb in fresh Debian 11 roots as the build VM
# would run them: the Image Builder template's install and capture customizers
# (packaging/azure/image-builder/latchwatch-linux.json) in one root, the Packer template's
# provisioner lines (packaging/packer.pkr.hcl, its HCL strings read as Packer reads them) in
# another. In each: a package with the wrong SHA-256 is refused; the install keeps the supplied
# config, enables the unit; the daemon then runs a real cycle against the simulator and leaves
# its state (report, history, identity cache, textfile); the capture step must leave the state
# folder empty and the textfile gone, with the unit still enabled. Both templates must use the
# same capture line, and the Packer template one package, no hard-coded version.
#   usage: image_bake.sh SOURCE BUILD
set -euo pipefail
source=$1 build=$2
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "needs root (chroot, mounts)"; exit 77; }
# shellcheck source=fleet_root.sh
. "$here/fleet_root.sh"
aib=$source/packaging/azure/image-builder/latchwatch-linux.json
packer=$source/packaging/packer.pkr.hcl
deb=$(deb_of "$source" "$build")
sha=$(sha256sum "$deb" | cut -d' ' -f1)
work=$(mktemp -d "$build/fleet-bake.XXXXXX")
sim_pid=""
cleanup() { [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# The Packer template's shell lines, unescaped as HCL does ($${ is a literal ${).
/usr/bin/python3 - "$packer" "$work" "$sha" <<'PY'
import json, re, sys
packer, work, sha = sys.argv[1:]
text = open(packer).read()
blocks = re.findall(r'provisioner "shell" \{(.*?)\n  \}', text, re.S)
inline = re.search(r'inline = \[\n(.*?)\n    \]', blocks[0], re.S).group(1)
lines = [json.loads(l.strip().rstrip(",")) for l in inline.splitlines() if l.strip()]
assert len(lines) == 2, lines
subst = {"${var.package_sha256}": sha, "${local.package_name}": "latchwatch_test_amd64.deb", "${local.config_name}": "latchwatch-config.json"}
for i, l in enumerate(lines):
    for k, v in subst.items():
        l = l.replace(k, v)
    assert "${var." not in l and "${local." not in l, l
    l = l.replace("$${", "${").replace("%%{", "%{")
    open(f"{work}/packer-{i}.sh", "w").write(l + "\n")
    if i == 0:
        open(f"{work}/packer-0-wrong.sh", "w").write(l.replace(sha, "0" * 64) + "\n")
# One package, its checksum a variable with a check, no version in the file names.
assert text.count('variable "package_file"') == 1 and "package_sha256" in text and "validation {" in text
assert not re.search(r"latchwatch[_-]\d+\.\d+\.\d+", text), "a hard-coded version"
PY
"$here/armexpr.py" "$aib" resources.0.properties.customize.2.inline.0 packageSha256="$sha" packageType=deb > "$work/aib-0.sh"
"$here/armexpr.py" "$aib" resources.0.properties.customize.2.inline.0 packageSha256="$(printf '0%.0s' $(seq 64))" packageType=deb > "$work/aib-0-wrong.sh"
"$here/armexpr.py" "$aib" resources.0.properties.customize.3.inline.0 > "$work/aib-1.sh"
cmp -s "$work/aib-1.sh" <(head -c -1 "$work/packer-1.sh") || { echo "FAIL: the Image Builder and Packer capture steps differ"; diff "$work/aib-1.sh" "$work/packer-1.sh"; exit 1; }
# The File customizers put the package and the config where the install line expects them.
grep -qF "\"destination\": \"[concat('/tmp/latchwatch.', parameters('packageType'))]\"" "$aib" || { echo "FAIL: the package's File customizer destination"; exit 1; }
grep -qF '"destination": "/tmp/latchwatch-config.json"' "$aib" || { echo "FAIL: the config's File customizer destination"; exit 1; }

start_sim "$build" "$work" "$work/rootA" healthy
sim_config "$build" "$work"
fail=0
for route in aib packer; do
  r=$work/$route
  make_root "$r"
  root=$r/root
  mkdir -p "$work/rootA"  # the simulator's GPA files live under rootA; both roots see them there
  add_sim_host "$root"
  if [ "$route" = aib ]; then cp "$deb" "$root/tmp/latchwatch.deb"; else cp "$deb" "$root/tmp/latchwatch_test_amd64.deb"; fi
  # The owner's config: the simulator's endpoints, a node_exporter textfile, no serial device.
  /usr/bin/python3 - "$work/sim-config.json" "$root/tmp/latchwatch-config.json" <<'PY'
import json, sys
src, out = sys.argv[1:]
c = json.load(open(src))
c["sinks"]["serial"]["enabled"] = False
c["sinks"]["metrics"]["listen"] = "127.0.0.1:0"
c["sinks"]["metrics"]["textfile_dir"] = "/var/lib/prometheus/node-exporter"
json.dump(c, open(out, "w"), indent=2)
PY
  cp "$root/tmp/latchwatch-config.json" "$r/config.json"
  mkdir -p "$root/var/lib/prometheus/node-exporter"
  cp "$work/$route"-*.sh "$root/tmp/"
  # The GPA paths in the config point into rootA: bind them into this root.
  cat > "$r/inside.sh" <<'INNER'
set -u
root=$1 route=$2 r=$3 vm=$4
fail=0
check() { if eval "$1"; then :; else echo "FAIL ($route): $2"; fail=1; fi; }
# systemd is installed in the root but not running: systemctl acts offline, as in an image
# root (enable and is-enabled work on the files; start, stop, restart are no-ops).
export SYSTEMD_OFFLINE=1
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mkdir -p "$root/vm" && mount --bind "$vm" "$root/vm"
if chroot "$root" sh /tmp/$route-0-wrong.sh < /dev/null > "$r/wrong.log" 2>&1; then echo "FAIL ($route): the wrong SHA-256 was accepted"; fail=1; fi
check '! chroot "$root" dpkg -s latchwatch >/dev/null 2>&1' "wrong SHA-256: installed anyway"
chroot "$root" sh /tmp/$route-0.sh < /dev/null > "$r/install.log" 2>&1 || { echo "FAIL ($route): install: $(cat "$r/install.log")"; fail=1; }
check 'cmp -s "$r/config.json" "$root/etc/latchwatch/config.json"' "the supplied config is not in place"
check '[ -L "$root/etc/systemd/system/multi-user.target.wants/latchwatch.service" ]' "latchwatch.service not enabled"
check '! grep -q "What would you like to do about it" "$r/install.log"' "dpkg asked about the conffile"
# The build VM runs the daemon for a while: one real cycle leaves state behind.
chroot "$root" latchwatch check > /dev/null 2>&1 || true
chroot "$root" latchwatch run --config /etc/latchwatch/config.json > "$r/daemon.log" 2>&1 &
daemon=$!
for _ in $(seq 1 150); do
  [ -s "$root/var/lib/latchwatch/report.json" ] && [ -s "$root/var/lib/prometheus/node-exporter/latchwatch.prom" ] && break
  sleep 0.1
done
kill "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null
check '[ -s "$root/var/lib/latchwatch/report.json" ]' "the daemon wrote no report (the test could not make state): $(tail -3 "$r/daemon.log")"
check '[ -s "$root/var/lib/prometheus/node-exporter/latchwatch.prom" ]' "the daemon wrote no textfile (the test could not make one)"
ls -A "$root/var/lib/latchwatch" > "$r/state-before"
chroot "$root" sh /tmp/$route-1.sh < /dev/null > "$r/capture.log" 2>&1 || { echo "FAIL ($route): capture step: $(cat "$r/capture.log")"; fail=1; }
check '[ -d "$root/var/lib/latchwatch" ] && [ -z "$(ls -A "$root/var/lib/latchwatch")" ]' "state left for the image: $(ls -A "$root/var/lib/latchwatch" | tr '\n' ' ')"
check '[ ! -e "$root/var/lib/prometheus/node-exporter/latchwatch.prom" ]' "the textfile was left for the image"
check '[ -L "$root/etc/systemd/system/multi-user.target.wants/latchwatch.service" ]' "the capture step disabled the unit"
echo "$route: state cleared before capture: $(tr '\n' ' ' < "$r/state-before")"
umount "$root/vm"
exit $fail
INNER
  unshare --mount --propagation private bash "$r/inside.sh" "$root" "$route" "$r" "$work/rootA/vm" || fail=1
done
[ $fail -eq 0 ] || exit 1
echo "Image Builder and Packer steps install by checksum and leave no build-VM state in the image"
