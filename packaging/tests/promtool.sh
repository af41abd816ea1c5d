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
