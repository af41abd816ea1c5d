#!/usr/bin/env bash
# `latchwatch.exe check` (and `explain`) under wine against the real fabric simulator (a Linux process on
# loopback), scenario by scenario, beside the Linux binary on the same simulator: the exit code,
# the verdict, the identity and the remedy (every printed command) must be identical.
#   tests/windows/check_under_wine.sh WINDOWS_BUILD NATIVE_BUILD
set -euo pipefail
win=${1:-build-windows}
native=${2:-build}
exe="$win/agent/latchwatch.exe"
linux="$native/agent/latchwatch"
sim="$native/tests/latchwatch-fabric-sim"
wine=/usr/lib/wine/wine64
for f in "$exe" "$linux" "$sim"; do
  [ -x "$f" ] || { echo "missing $f (make windows && make build)" >&2; exit 1; }
done
work=$(mktemp -d /tmp/latchwatch-wine-XXXXXX)
sim_pid=""
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

start_sim() {  # start_sim SCENARIO: the simulator on SCENARIO, its ports file read (bounded wait)
  if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null; wait "$sim_pid" 2>/dev/null || true; fi
  rm -rf "$work/ports.json" "$work/vm"
  "$sim" --scenario "$1" --gpa-dir "$work/vm" --ports-file "$work/ports.json" >/dev/null &
  sim_pid=$!
  for _ in $(seq 1 100); do
    [ -s "$work/ports.json" ] && return 0
    sleep 0.1
  done
  echo "simulator did not start for $1" >&2
  exit 1
}

# A Linux path as the Windows program names it: wine maps drive Z: to / in every prefix.
windows_path() { local p=${1//\//\\}; printf 'Z:%s' "$p"; }

# What must match: everything the owner acts on. The machine's own description ("This machine:
# host name, addresses, OS, ...") names each OS as it is; the rest of every text is identical.
comparable='{exit: .verdict.exit_code, verdict: .verdict, identity: .identity, remedy: .remedy}
  | walk(if type == "string" then sub(", OS [^,]*,"; ", OS …,") else . end)'
failed=0
scenarios=$("$sim" --list)
for scenario in $scenarios; do
  start_sim "$scenario"
  mapfile -t flags < <(jq -r '.check_flags[]' "$work/ports.json")
  win_flags=()
  for flag in "${flags[@]}"; do
    if [[ $flag == /* ]]; then win_flags+=("$(windows_path "$flag")"); else win_flags+=("$flag"); fi
  done
  rc_linux=0
  "$linux" check "${flags[@]}" --json --timeout-ms 2000 --no-color \
    --state-dir "$work/state-linux-$scenario" >"$work/linux.json" 2>"$work/linux.err" || rc_linux=$?
  for attempt in 1 2; do  # once more only if wine died at launch (no output at all)
    rc_win=0
    "$wine" "$exe" check "${win_flags[@]}" --json --timeout-ms 2000 --no-color \
      --state-dir "$(windows_path "$work/state-win-$scenario")" >"$work/win.json" \
      2>"$work/win.err" || rc_win=$?
    [ -s "$work/win.json" ] || [ -s "$work/win.err" ] && break
    echo "wine gave no output for $scenario (exit $rc_win), attempt $attempt"
  done
  tr -d '\r' <"$work/win.json" >"$work/win.unix.json"
  if [ "$rc_linux" != "$rc_win" ] ||
     ! diff <(jq -S "$comparable" "$work/linux.json") <(jq -S "$comparable" "$work/win.unix.json") \
       >"$work/diff" 2>&1; then
    echo "FAIL $scenario: linux exit $rc_linux, windows exit $rc_win"
    head -40 "$work/diff"
    head -20 "$work/win.err"
    failed=$((failed + 1))
  else
    printf 'ok   %-40s exit %s  %s\n' "$scenario" "$rc_win" "$(jq -r .verdict.code "$work/linux.json")"
  fi
  jq -r .verdict.code "$work/linux.json" >>"$work/codes"
done
# `explain` for every verdict the scenarios reached: the same text, byte for byte but line ends.
for code in $(sort -u "$work/codes"); do
  if ! diff <("$linux" explain "$code") <("$wine" "$exe" explain "$code" | tr -d '\r') >"$work/diff"; then
    echo "FAIL explain $code"
    head -20 "$work/diff"
    failed=$((failed + 1))
  else
    echo "ok   explain $code"
  fi
done
[ "$failed" -eq 0 ] || { echo "$failed scenario(s) differ between Linux and Windows" >&2; exit 1; }
