#!/usr/bin/env bash
# The alert rules are valid and their unit tests pass; every metric they use is one the daemon
# really exports (reporting/METRICS.md lists them; the daemon test scrapes the real endpoint).
set -euo pipefail
source=$2
command -v promtool >/dev/null || { echo "promtool missing (Debian package prometheus)"; exit 1; }
cd "$source/packaging/prometheus"
promtool check rules latchwatch.rules.yml
promtool test rules latchwatch.rules.test.yml
for metric in $(grep -oE 'latchwatch_[a-z_]+' latchwatch.rules.yml | sort -u); do
  grep -qF "\`$metric\`" "$source/reporting/METRICS.md" || { echo "rules use unknown metric $metric"; exit 1; }
  grep -rqF "\"$metric\"" "$source/reporting/sinks/metrics_sink.cpp" || { echo "daemon never exports $metric"; exit 1; }
done
# One alert name for a key verdict, pushed or rule-based, and the example route sends it to the
# owners.
key_alert=LatchwatchKeyResetNeeded
grep -q "alert: $key_alert\$" latchwatch.rules.yml || { echo "rules lack $key_alert"; exit 1; }
grep -qF "\"$key_alert\"" "$source/reporting/sinks/alertmanager_sink.cpp" ||
  { echo "the pushed key alert is not named $key_alert"; exit 1; }
if command -v amtool >/dev/null; then
  amtool check-config alertmanager-route.example.yml >/dev/null
  receiver=$(amtool config routes test --config.file=alertmanager-route.example.yml alertname=$key_alert verdict=key_lost)
  [ "$receiver" = "vm-owners" ] || { echo "$key_alert routes to '$receiver', not vm-owners"; exit 1; }
  receiver=$(amtool config routes test --config.file=alertmanager-route.example.yml alertname=LatchwatchSinkFailing)
  [ "$receiver" = "platform-team" ] || { echo "LatchwatchSinkFailing routes to '$receiver'"; exit 1; }
else
  echo "amtool missing (Debian package prometheus-alertmanager)"; exit 1
fi
echo "rules and route consistent"
