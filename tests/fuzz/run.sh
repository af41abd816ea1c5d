#!/usr/bin/env bash
# Builds nothing: runs every fuzz target in BUILD_DIR for SECONDS each, seeded from the fixtures.
# Runs as many targets at once as there are cores. Fails when any target crashes; the crashing
# input is left in BUILD_DIR/fuzz-artifacts/.
set -euo pipefail
build=${1:?BUILD_DIR}
seconds=${2:-30}
here=$(cd "$(dirname "$0")" && pwd)
fixtures="$here/../fixtures"
mkdir -p "$build/fuzz-artifacts"
seed() {  # seed NAME FILES...: a fresh corpus folder for one target
  local dir="$build/fuzz-corpus/$1"; shift
  mkdir -p "$dir"
  for f in "$@"; do [ -f "$f" ] && cp "$f" "$dir/"; done
  [ -d "$here/corpus/$(basename "$dir")" ] && cp "$here/corpus/$(basename "$dir")"/* "$dir/" 2>/dev/null || true
  echo "$dir"
}
declare -A corpus=(
  [secure_channel_status]="$(seed secure_channel_status "$fixtures"/gpa/status-*.json "$fixtures"/gpa-eras/sc-*.json)"
  [imds_instance]="$(seed imds_instance "$fixtures"/peers/*.json)"
  [gpa_status_file]="$(seed gpa_status_file "$fixtures"/gpa/aggregate-status-*.json "$fixtures"/gpa-eras/status-*.json)"
  [provision_reply]="$(seed provision_reply)"
  [identity_cache]="$(seed identity_cache)"
  [config]="$(seed config "$here/../../packaging/config.json")"
  [http_response]="$(seed http_response)"
  [plan_reports]="$(seed plan_reports "$here/../../bench/report-template.json")"
  [cmk_inputs]="$(seed cmk_inputs "$fixtures"/plan/vms.json "$fixtures"/plan/vmss-cvm-pool.json "$fixtures"/plan/associated-cvm-a.json)"
  [boot_logs]="$(seed boot_logs "$fixtures"/bootlog/*.log)"
  [resource_graph]="$(seed resource_graph "$fixtures"/resource_graph/*.json)"
  [activity_log]="$(seed activity_log "$fixtures"/activity_log/*.json)"
)
run_one() {  # run_one NAME: one target for SECONDS; a crash leaves NAME.crashed beside its log
  local name=$1
  echo "fuzz_$name: ${seconds}s"
  "$build/tests/fuzz/fuzz_$name" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
    -artifact_prefix="$build/fuzz-artifacts/$name-" -print_final_stats=0 "${corpus[$name]}" \
    >"$build/fuzz-artifacts/$name.log" 2>&1 || touch "$build/fuzz-artifacts/$name.crashed"
}
rm -f "$build"/fuzz-artifacts/*.crashed
for name in "${!corpus[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do sleep 1; done  # a free core, not a sync point
  run_one "$name" &
done
wait
crashed=0
for mark in "$build"/fuzz-artifacts/*.crashed; do
  [ -e "$mark" ] || continue
  crashed=1
  name=$(basename "$mark" .crashed)
  echo "fuzz_$name crashed:"
  tail -40 "$build/fuzz-artifacts/$name.log"
done
[ "$crashed" -eq 0 ] || exit 1
echo "fuzzers: no crash"
