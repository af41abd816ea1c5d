#!/usr/bin/env bash
# The reset ticket as latchwatch really emits it, checked against the published JSON Schema
# (docs/formats/reset-ticket.schema.json) by a validator that is not ours (python3-jsonschema):
# `check --json` on a key loss for a VM, a Uniform instance and a Flexible member (N unknown), and `plan resets --json` over
# the reports those checks wrote.
#   tests/contracts/reset_ticket_schema.sh LATCHWATCH SIMULATOR SOURCE_DIR
set -euo pipefail
latchwatch=$1 sim=$2 source=$3
schema="$source/docs/formats/reset-ticket.schema.json"
work=$(mktemp -d)
sim_pid=""
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

validate() {  # validate FILE WHAT: every ticket in FILE (a report or a plan) against the schema
  python3 - "$schema" "$1" "$2" <<'PY'
import json, sys
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
doc = json.load(open(sys.argv[2]))
tickets = []
def walk(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reset_ticket" and value is not None:
                tickets.append(value)
            else:
                walk(value)
    elif isinstance(node, list):
        for value in node:
            walk(value)
walk(doc)
if not tickets:
    sys.exit(f"{sys.argv[3]}: no reset_ticket emitted")
errors = [e.message for t in tickets for e in Draft202012Validator(schema).iter_errors(t)]
if errors:
    sys.exit(f"{sys.argv[3]}: " + "; ".join(errors))
print(f"{sys.argv[3]}: {len(tickets)} ticket(s) valid")
PY
}

n=0
for scenario in key_lost vmss_key_loss_latent flex_key_loss_latent_no_incarnation; do
  rm -f "$work/ports.json"
  "$sim" --scenario "$scenario" --gpa-dir "$work/vm-$scenario" --ports-file "$work/ports.json" \
    >/dev/null 2>&1 &
  sim_pid=$!
  for _ in $(seq 1 200); do [ -s "$work/ports.json" ] && break; sleep 0.05; done
  [ -s "$work/ports.json" ] || { echo "simulator did not start"; exit 1; }
  flags=$(sed -n 's/.*"check_flags":\[\([^]]*\)\].*/\1/p' "$work/ports.json" | tr -d '"' | tr ',' ' ')
  # shellcheck disable=SC2086
  "$latchwatch" check $flags --state-dir "$work/state-$scenario" --timeout-ms 2000 --json \
    > "$work/report-$scenario.json" || true
  kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true; sim_pid=""
  validate "$work/report-$scenario.json" "check --json ($scenario)"
  n=$((n + 1))
done
"$latchwatch" plan resets --json "$work"/report-*.json > "$work/plan.json" || true
validate "$work/plan.json" "plan resets --json"
echo "reset ticket: $((n + 1)) documents valid against the schema"
