#!/usr/bin/env bash
# lintian on the .deb: no error and no warning left; every tag overridden has its reason in
# packaging/debian/latchwatch.lintian-overrides (shipped in the package).
set -euo pipefail
source=$2 build=$3
command -v lintian >/dev/null || { echo "lintian missing (packaging/install-deps.sh test)"; exit 1; }
packages=$("$source/packaging/tests/build_packages.sh" "$source" "$build")
version=$(sed -n 's/^project(latchwatch VERSION \([0-9.]*\).*/\1/p' "$source/CMakeLists.txt")
debs=("$packages/latchwatch_${version}_amd64.deb" "$packages/latchwatch-dbgsym_${version}_amd64.deb")
out=$(lintian --fail-on error,warning --display-level ">=warning" "${debs[@]}" 2>&1) || { echo "$out"; exit 1; }
# What is overridden, with the reasons (lintian counts shown overrides as failures: display only).
lintian --display-level ">=warning" --show-overrides "${debs[@]}" 2>&1 | grep -v "root privileges" || true
# Each override carries a reason: a comment line right above it.
awk '/^#/ {reason = 1; next} /^[^#[:space:]]/ {if (!reason) {print "override without a reason: " $0; bad = 1}; reason = 0} END {exit bad}' \
  "$source/packaging/debian/latchwatch.lintian-overrides"
echo "lintian: no errors or warnings"
