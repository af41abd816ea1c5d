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

dpkg -r latchwatch >/dev/null
[ ! -e /usr/bin/latchwatch ] || { echo "binary left after remove"; exit 1; }
[ -e /etc/latchwatch/config.json ] || { echo "conffile must survive remove"; exit 1; }
dpkg -P latchwatch >/dev/null
for path in $files /etc/latchwatch /var/lib/latchwatch; do
  case "$path" in /|/usr|/usr/*bin|/usr/share|/usr/share/man|/usr/share/man/man8|/lib|/lib/systemd|/lib/systemd/system|/usr/lib/systemd|/usr/lib/systemd/system|/etc|/usr/lib|/usr/share/doc|/usr/share/lintian|/usr/share/lintian/overrides) continue ;; esac
  [ ! -e "$path" ] || { echo "left behind after purge: $path"; exit 1; }
done
echo "package installs, runs and purges cleanly"
