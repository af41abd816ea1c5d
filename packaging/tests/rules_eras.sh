#!/usr/bin/env bash
# Every shipped alert rule is silent on a healthy VM of every GPA era: the real daemon
# (`latchwatch run`, every sink a VM has: report file, node_exporter textfile, KVP, serial) runs
# against the fabric simulator as each GPA release writes and answers (`healthy@VERSION`, see
# tests/fabric_sim/README.md), its textfile becomes promtool input series (each sample held for an
# hour, the cycle timestamp and counter advancing as a 300 s daemon's would), and
# `promtool test rules` must see no alert at all. Controls, so silence cannot be vacuous: the same
# pipeline on `key_lost@VERSION` fires LatchwatchKeyResetNeeded, and the pre-fix probe rule
# (`latchwatch_probe_success == 0`) fires on an era before 1.0.47 (the 404 GPA answers there).
set -euo pipefail
binary=$1 source=$2 build=$3
command -v promtool >/dev/null || { echo "promtool missing (Debian package prometheus)"; exit 1; }
sim=$build/tests/latchwatch-fabric-sim
[ -x "$sim" ] || { echo "$sim not built"; exit 1; }
work=$(mktemp -d)
sim_pid="" daemon_pid=""
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null || true
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
rules=$source/packaging/prometheus/latchwatch.rules.yml
alerts=$(sed -n 's/^ *- alert: *//p' "$rules")
fail=0

# Runs the daemon against SCENARIO until its textfile shows 3 cycles; leaves $dir/latchwatch.prom.
export_series() {
  local scenario=$1 dir=$2
  mkdir -p "$dir/tf" "$dir/state"
  : > "$dir/serial"
  "$sim" --scenario "$scenario" --gpa-dir "$dir/vm" --ports-file "$dir/ports.json" >/dev/null &
  sim_pid=$!
  for _ in $(seq 1 100); do [ -s "$dir/ports.json" ] && break; sleep 0.1; done
  [ -s "$dir/ports.json" ] || { echo "simulator for $scenario did not start"; return 1; }
  local flags
  flags=$(sed -n 's/.*"check_flags":\[\([^]]*\)\].*/\1/p' "$dir/ports.json" | tr -d '"' | tr ',' ' ')
  cat > "$dir/config.json" <<JSON
{"daemon": {"interval_ms": 300, "jitter_s": 0, "trigger": {"enabled": false}},
 "sinks": {"metrics": {"enabled": false, "textfile_dir": "$dir/tf"},
           "kvp": {"enabled": true, "pool_file": "$dir/kvp_pool_1"},
           "serial": {"enabled": true, "device": "$dir/serial"}}}
JSON
  # shellcheck disable=SC2086
  "$binary" run --config "$dir/config.json" $flags --state-dir "$dir/state" 2> "$dir/daemon.log" &
  daemon_pid=$!
  local cycles=0
  for _ in $(seq 1 300); do
    cycles=$(sed -n 's/^latchwatch_cycles_total \([0-9]*\)$/\1/p' "$dir/tf/latchwatch.prom" 2>/dev/null || true)
    [ "${cycles:-0}" -ge 3 ] && break
    sleep 0.1
  done
  kill "$daemon_pid"; wait "$daemon_pid" 2>/dev/null || true; daemon_pid=""
  kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true; sim_pid=""
  [ "${cycles:-0}" -ge 3 ] || { echo "$scenario: the daemon wrote no textfile after 3 cycles"; cat "$dir/daemon.log"; return 1; }
  cp "$dir/tf/latchwatch.prom" "$dir/latchwatch.prom"
}

# promtool test file: the series held for 60 minutes; `expect` is "silent" or an alert name
# that must fire (then the test is written to expect silence, and promtool must fail naming it).
write_test() {
  local prom=$1 rules_file=$2 out=$3
  python3 - "$prom" "$rules_file" "$alerts" > "$out" <<'PY'
import re, sys
prom, rules_file, alerts = sys.argv[1], sys.argv[2], sys.argv[3].split()
series = []
for line in open(prom):
    line = line.strip()
    if not line or line.startswith('#'):
        continue
    m = re.match(r'^([a-z_:]+)(\{(.*)\})? (\S+)$', line)
    if not m:
        sys.exit("unparsable sample: " + line)
    name, labels, value = m.group(1), m.group(3) or "", float(m.group(4))
    labels = (labels + "," if labels else "") + 'instance="vm:9464",job="latchwatch"'
    if name == "latchwatch_last_cycle_timestamp_seconds":
        values = "0+300x12"          # a cycle every 300 s, on promtool's clock
    elif name.endswith("_total"):
        values = "%g+1x12" % value   # counters go on counting
    else:
        values = "%gx12" % value
    series.append((name + "{" + labels + "}", values))
series.append(('up{instance="vm:9464",job="latchwatch"}', "1x12"))
print("rule_files:\n  - " + rules_file + "\nevaluation_interval: 1m\ntests:\n  - interval: 5m\n    input_series:")
for s, v in series:
    print("      - series: '%s'\n        values: '%s'" % (s, v))
print("    alert_rule_test:")
for a in alerts:
    for t in ("30m", "60m"):
        print("      - eval_time: %s\n        alertname: %s\n        exp_alerts: []" % (t, a))
PY
}

eras="1.0.13.1 1.0.17 1.0.20 1.0.24 1.0.25 1.0.30 1.0.46 1.0.47"
n=0
for scenario in healthy healthy_v1 $(for v in $eras; do echo "healthy@$v"; done); do
  n=$((n + 1)); dir=$work/$n
  export_series "$scenario" "$dir" || { fail=1; continue; }
  grep -q '^latchwatch_verdict{code="healthy"} 1$' "$dir/latchwatch.prom" ||
    { echo "FAIL: $scenario: the daemon's verdict is not healthy"; grep '^latchwatch_verdict{.*} 1$' "$dir/latchwatch.prom"; fail=1; continue; }
  write_test "$dir/latchwatch.prom" "$rules" "$dir/test.yml"
  if out=$(promtool test rules "$dir/test.yml" 2>&1); then
    echo "$scenario: no alert ($(grep -c . "$dir/latchwatch.prom") textfile lines)"
  else
    echo "FAIL: $scenario: an alert fires on a healthy VM:"; echo "$out" | head -30; fail=1
  fi
  # The pre-fix rule fired here for every GPA before 1.0.47 (the expected 404); it must still
  # be seen to, or this test would not notice the false alert coming back.
  if [ "$scenario" = "healthy@1.0.30" ]; then
    sed 's/latchwatch_probe_success{probe!="gpa_aggregated_status"} == 0/latchwatch_probe_success == 0/' "$rules" > "$dir/old.rules.yml"
    grep -q '^        expr: latchwatch_probe_success == 0$' "$dir/old.rules.yml" || { echo "FAIL: control rule not made"; fail=1; }
    # Since latchwatch sends /gpa-aggregated-status only where GPA may serve it (issue 21), a
    # healthy 1.0.30 exports no such series; the control adds the 404's series an unknown-version
    # GPA earns, so both rules meet the very input the false alert came from.
    grep -q 'probe="gpa_aggregated_status"' "$dir/latchwatch.prom" ||
      echo 'latchwatch_probe_success{probe="gpa_aggregated_status"} 0' >> "$dir/latchwatch.prom"
    write_test "$dir/latchwatch.prom" "$rules" "$dir/new.test.yml"
    promtool test rules "$dir/new.test.yml" > "$dir/new.out" 2>&1 ||
      { echo "FAIL: the shipped rule fires on the aggregated status's 404"; head -20 "$dir/new.out"; fail=1; }
    write_test "$dir/latchwatch.prom" "$dir/old.rules.yml" "$dir/old.test.yml"
    if promtool test rules "$dir/old.test.yml" > "$dir/old.out" 2>&1 || ! grep -q 'alertname: LatchwatchProbeFailing\|alertname:LatchwatchProbeFailing\|LatchwatchProbeFailing' "$dir/old.out"; then
      echo "FAIL: control: the old probe rule does not fire on $scenario"; fail=1
    else
      echo "control: the old probe rule fires on $scenario (gpa_aggregated_status 404), the shipped one does not"
    fi
  fi
done
# Control: a key verdict through the same pipeline fires the key alert.
for scenario in key_lost@1.0.30 key_lost@1.0.47; do
  n=$((n + 1)); dir=$work/$n
  export_series "$scenario" "$dir" || { fail=1; continue; }
  write_test "$dir/latchwatch.prom" "$rules" "$dir/test.yml"
  if promtool test rules "$dir/test.yml" > "$dir/out" 2>&1 || ! grep -q 'LatchwatchKeyResetNeeded' "$dir/out"; then
    echo "FAIL: control: $scenario does not fire LatchwatchKeyResetNeeded"; head -20 "$dir/out"; fail=1
  else
    echo "control: $scenario fires LatchwatchKeyResetNeeded"
  fi
done
[ $fail -eq 0 ] && echo "every shipped rule is silent on a healthy VM of every GPA era"
exit $fail
