#!/usr/bin/env bash
# Builds the .deb, installs it with dpkg, runs the installed binary against the simulator, then
# removes and purges it and checks nothing is left but what policy allows.
set -euo pipefail
# grep -q stops reading at the first match, and under pipefail the writer's SIGPIPE would fail
# the pipeline: has reads all its input.
has() { grep "$@" >/dev/null; }
binary=$1 source=$2 build=$3
[ "$(id -u)" -eq 0 ] || { echo "needs root (dpkg -i)"; exit 77; }
if dpkg-query -W -f='${Status}' latchwatch 2>/dev/null | has "install ok installed"; then
  echo "latchwatch is already installed on this machine; not touching it"; exit 77
fi
work=$(mktemp -d)
sim_pid=""
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
  dpkg -P latchwatch >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

packages=$("$source/packaging/tests/build_packages.sh" "$source" "$build")
deb=$(ls "$packages"/latchwatch_*.deb)
contents=$(dpkg-deb -c "$deb")
grep -q "./etc/latchwatch/config.json" <<<"$contents"
grep -q "./usr/bin/latchwatch" <<<"$contents"
grep -q "./usr/lib/systemd/system/latchwatch.service" <<<"$contents"
dpkg-deb -e "$deb" "$work/control"
grep -qx "/etc/latchwatch/config.json" "$work/control/conffiles"

dpkg -i "$deb" >/dev/null
files=$(dpkg -L latchwatch)
version=$(/usr/bin/latchwatch --version)
grep -q "latchwatch " <<<"$version"
/usr/bin/latchwatch config validate /etc/latchwatch/config.json
[ -d /var/lib/latchwatch ]
man -w latchwatch >/dev/null 2>&1 || [ -f /usr/share/man/man8/latchwatch.8.gz ]

"$build/tests/latchwatch-fabric-sim" --scenario healthy --gpa-dir "$work/vm" --ports-file "$work/ports.json" >/dev/null &
sim_pid=$!
for _ in $(seq 1 100); do [ -s "$work/ports.json" ] && break; sleep 0.1; done
flags=$(sed -n 's/.*"check_flags":\[\([^]]*\)\].*/\1/p' "$work/ports.json" | tr -d '"' | tr ',' ' ')
# shellcheck disable=SC2086
/usr/bin/latchwatch check --json $flags --state-dir "$work/state" > "$work/report.json"
grep -q '"code": "healthy"' "$work/report.json"
kill "$sim_pid"; sim_pid=""

# The conffile holds only the operator's decisions: an upgrade to a release whose defaults
# changed (config.example.json here; the binary in a real release) must never stop at dpkg's
# conffile prompt, over a config the operator edited. stdin is /dev/null, as under apt-get -y,
# cloud-init or Ansible: a prompt would fail the upgrade.
# Version N+1: the same package with a changed default (the example file) and a later version.
repack() {  # NAME VERSION [EDIT-COMMAND...]: a copy of the .deb at VERSION, EDIT run in its tree
  local name=$1 new_version=$2; shift 2
  rm -rf "$work/$name"; dpkg-deb -R "$deb" "$work/$name"
  sed -i "s/^Version: .*/Version: $new_version/" "$work/$name/DEBIAN/control"
  (cd "$work/$name" && "$@")
  dpkg-deb -b --root-owner-group "$work/$name" "$work/$name.deb" >/dev/null
}
base_version=$(dpkg-query -W -f='${Version}' latchwatch)
repack next "${base_version}.1" sed -i 's/"debounce_cycles": 2/"debounce_cycles": 3/' usr/share/latchwatch/config.example.json
grep -q '"debounce_cycles": 3' "$work/next/usr/share/latchwatch/config.example.json" || { echo "test: the changed default was not made"; exit 1; }
python3 - /etc/latchwatch/config.json "$work" <<'PY'
import json, sys
path, work = sys.argv[1], sys.argv[2]
c = json.load(open(path))
c["sinks"]["metrics"]["textfile_dir"] = work + "/textfile"
c["sinks"]["kvp"] = {"enabled": True, "pool_file": work + "/kvp_pool_1"}
json.dump(c, open(path, "w"), indent=2)
PY
edited=$(sha256sum < /etc/latchwatch/config.json)
DEBIAN_FRONTEND=noninteractive dpkg -i "$work/next.deb" </dev/null > "$work/upgrade.log" 2>&1 ||
  { cat "$work/upgrade.log"; echo "upgrade over an edited config did not complete unattended"; exit 1; }
[ "$(dpkg-query -W -f='${Version}' latchwatch)" = "${base_version}.1" ] || { echo "upgrade did not happen"; exit 1; }
[ "$(sha256sum < /etc/latchwatch/config.json)" = "$edited" ] || { echo "upgrade changed the edited config"; exit 1; }
[ ! -e /etc/latchwatch/config.json.dpkg-dist ] && [ ! -e /etc/latchwatch/config.json.dpkg-old ] ||
  { echo "upgrade left a .dpkg-dist/.dpkg-old: the conffile changed"; exit 1; }
! grep -qi "configuration file" "$work/upgrade.log" || { cat "$work/upgrade.log"; echo "dpkg talked about the conffile"; exit 1; }
# Control: had the conffile carried a changed default (the old layout), the same unattended
# upgrade stops at the prompt. Proves the check above can fail.
repack old_layout "${base_version}.2" sed -i 's/"kvp": {/"kvp": {\n      "pool_file": "\/var\/lib\/hyperv\/.kvp_pool_1",/' etc/latchwatch/config.json
if DEBIAN_FRONTEND=noninteractive dpkg -i "$work/old_layout.deb" </dev/null > "$work/control.log" 2>&1; then
  echo "control: an upgrade changing an edited conffile did not stop; the check above proves nothing"; exit 1
fi
grep -qi "configuration file\|conffile\|end of file" "$work/control.log" || { cat "$work/control.log"; echo "control failed for another reason"; exit 1; }
dpkg --configure -a --force-confold </dev/null >/dev/null 2>&1 || true
echo "upgrade over an edited config: no prompt, config kept (control: the old layout prompts)"

# Signals: publish as the timer alternative does (textfile, KVP beside someone else's record,
# report), then remove must withdraw them all.
"$build/tests/latchwatch-fabric-sim" --scenario key_lost --gpa-dir "$work/vm2" --ports-file "$work/ports2.json" >/dev/null &
sim_pid=$!
for _ in $(seq 1 100); do [ -s "$work/ports2.json" ] && break; sleep 0.1; done
flags=$(sed -n 's/.*"check_flags":\[\([^]]*\)\].*/\1/p' "$work/ports2.json" | tr -d '"' | tr ',' ' ')
mkdir -p "$work/textfile"
python3 -c "import sys; sys.stdout.buffer.write(b'CLOUD_INIT|1|boot'.ljust(512, b'\0') + b'{}'.ljust(2048, b'\0'))" > "$work/kvp_pool_1"
theirs=$(head -c 2560 "$work/kvp_pool_1" | sha256sum)
for _ in 1 2; do
  # shellcheck disable=SC2086
  /usr/bin/latchwatch check --publish $flags --debounce-cycles 2 > "$work/publish.out" || true
done
kill "$sim_pid"; sim_pid=""
grep -q '^latchwatch_key_alert_firing 1$' "$work/textfile/latchwatch.prom" || { cat "$work/publish.out"; echo "check --publish did not fire the key alert in the textfile"; exit 1; }
grep -q 'LATCHWATCH|' "$work/kvp_pool_1" || { echo "check --publish wrote no KVP record"; exit 1; }
[ -f /var/lib/latchwatch/report.json ] || { echo "check --publish wrote no report"; exit 1; }

dpkg -r latchwatch >/dev/null
[ ! -e /usr/bin/latchwatch ] || { echo "binary left after remove"; exit 1; }
[ ! -e "$work/textfile/latchwatch.prom" ] || { echo "remove left the textfile: $(grep firing "$work/textfile/latchwatch.prom")"; exit 1; }
! grep -q 'LATCHWATCH|' "$work/kvp_pool_1" || { echo "remove left latchwatch's KVP records"; exit 1; }
[ "$(head -c 2560 "$work/kvp_pool_1" | sha256sum)" = "$theirs" ] && [ "$(stat -c %s "$work/kvp_pool_1")" = 2560 ] ||
  { echo "remove changed someone else's KVP record"; exit 1; }
[ ! -e /var/lib/latchwatch/report.json ] || { echo "remove left report.json"; exit 1; }
echo "remove withdrew the textfile, latchwatch's KVP records and the report"

[ -e /etc/latchwatch/config.json ] || { echo "conffile must survive remove"; exit 1; }
dpkg -P latchwatch >/dev/null
for path in $files /etc/latchwatch /var/lib/latchwatch; do
  case "$path" in /|/usr|/usr/*bin|/usr/share|/usr/share/man|/usr/share/man/man8|/lib|/lib/systemd|/lib/systemd/system|/usr/lib/systemd|/usr/lib/systemd/system|/etc|/usr/lib|/usr/share/doc|/usr/share/lintian|/usr/share/lintian/overrides) continue ;; esac
  [ ! -e "$path" ] || { echo "left behind after purge: $path"; exit 1; }
done
echo "package installs, runs and purges cleanly"
