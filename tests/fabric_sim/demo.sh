#!/usr/bin/env bash
# `make demo`: latchwatch check against the built-in fabric simulator, walking through a healthy
# VM, a lost key (with the owner's reset), and the look-alikes that are not key problems.
set -euo pipefail
build=${1:-build}
latchwatch="$build/agent/latchwatch"
sim="$build/tests/latchwatch-fabric-sim"
work=$(mktemp -d /tmp/latchwatch-demo-XXXXXX)
sim_pid=""
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# Starts the simulator on SCENARIO and waits (bounded) for its ports file.
start_sim() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null || true
  rm -f "$work/ports.json"
  "$sim" --scenario "$1" --gpa-dir "$work/vm" --ports-file "$work/ports.json" >/dev/null &
  sim_pid=$!
  for _ in $(seq 1 100); do
    [ -s "$work/ports.json" ] && break
    sleep 0.1
  done
  [ -s "$work/ports.json" ] || { echo "simulator did not start" >&2; exit 1; }
  # check_flags is a JSON array of words without spaces; unwrap it without jq or python.
  flags=$(sed -n 's/.*"check_flags":\[\([^]]*\)\].*/\1/p' "$work/ports.json" | tr -d '"' | tr ',' ' ')
}

step() {
  local scenario=$1 title=$2
  echo
  echo "=================================================================================="
  echo "== $title   (simulator scenario: $scenario)"
  echo "=================================================================================="
  start_sim "$scenario"
  # shellcheck disable=SC2086
  "$latchwatch" check $flags --state-dir "$work/state" --timeout-ms 1000 --no-color || \
    echo "(exit code $?: 0 ok, 1 warning, 2 critical, 3 unknown)"
}

step healthy "1. A healthy VM: key latched, on disk, held by GPA"
step key_lost "2. The key file is gone (OS disk restored): only the owner can reset it"
step reset_pending "3. The owner raised keyIncarnationId: the host has a new key, GPA picks it up"
step reset_applied "4. Recovered: the new key is latched, on disk and held (the reset is reported)"
step key_mismatch "5. The disk came from another VM: its key folder holds a foreign key"
step wireserver_blackholed "6. A network fault looks alike from a distance, but is no key problem"
step gpa_down "7. GPA itself is down: restart it, no key reset"
echo
echo "Every verdict: $latchwatch explain CODE   (e.g. $latchwatch explain key_lost)"
