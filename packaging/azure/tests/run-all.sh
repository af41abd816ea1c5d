#!/usr/bin/env bash
# Runs every fleet-route test (packaging/azure/tests and packaging/ansible/tests) against one
# build and prints each one's result and time, then "N passed, N failed, N skipped".
#   packaging/azure/tests/run-all.sh [BUILD]     BUILD: the build folder (default build), with
#                                                agent/latchwatch and tests/latchwatch-fabric-sim
# Root is needed for the Debian-root tests (chroot, mounts); CI runs as root. Debian packages
# needed: packaging/azure/tests/deps.txt. The Debian 11 roots are cached in
# $LATCHWATCH_TEST_CACHE (default /var/cache/latchwatch-test), shared with
# packaging/tests/debian11_root.sh.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source=$(cd "$here/../../.." && pwd)
build=${1:-build}
[ -d "$build" ] || { echo "no build folder $build"; exit 2; }
build=$(cd "$build" && pwd)
for binary in agent/latchwatch tests/latchwatch-fabric-sim; do
  [ -x "$build/$binary" ] || { echo "$build/$binary missing: build first"; exit 2; }
done
missing=""
while read -r package; do
  [ -z "$package" ] && continue
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing="$missing $package"
done < "$here/deps.txt"
[ -z "$missing" ] || echo "warning: missing Debian packages:$missing (apt-get install them; tests needing them fail)"

tests=(
  "$here/templates.sh"
  "$here/cloud_init.sh"
  "$here/vm_application_deb.sh"
  "$here/vm_application_rpm.sh"
  "$here/packer_hcl.sh"
  "$here/image_bake.sh"
  "$source/packaging/ansible/tests/converge.sh"
  "$here/msi_commands.sh"
)
passed=0 failed=0 skipped=0
for t in "${tests[@]}"; do
  name=${t#"$source"/}
  log=$(mktemp)
  start=$(date +%s.%N)
  "$t" "$source" "$build" > "$log" 2>&1
  code=$?
  seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')
  case $code in
    0) result=PASS; passed=$((passed + 1)) ;;
    77) result=SKIP; skipped=$((skipped + 1)) ;;
    *) result=FAIL; failed=$((failed + 1)) ;;
  esac
  printf '%-4s %6.1f s  %s\n' "$result" "$seconds" "$name"
  if [ $code -ne 0 ]; then sed 's/^/      /' "$log" | tail -40; fi
  rm -f "$log"
done
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
