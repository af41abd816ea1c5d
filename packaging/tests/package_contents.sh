#!/usr/bin/env bash
# What the .deb and the RPM carry, with which modes: the stripped static binary, the units, the
# config as a 0640 conffile / %config(noreplace), the man page, LICENSE and third-party notices,
# debug symbols beside (in -dbgsym / -debuginfo, matching the binary's build id), and an
# installed size under 15 MB.
set -euo pipefail
# grep -q stops reading at the first match, and under pipefail the writer's SIGPIPE would fail
# the pipeline: has reads all its input.
has() { grep "$@" >/dev/null; }
source=$2 build=$3
for tool in dpkg-deb rpm readelf file; do
  command -v $tool >/dev/null || { echo "$tool missing (packaging/install-deps.sh test)"; exit 1; }
done
packages=$("$source/packaging/tests/build_packages.sh" "$source" "$build")
version=$(sed -n 's/^project(latchwatch VERSION \([0-9.]*\).*/\1/p' "$source/CMakeLists.txt")
deb=$packages/latchwatch_${version}_amd64.deb
ddeb=$packages/latchwatch-dbgsym_${version}_amd64.deb
rpm_file=$packages/latchwatch-${version}-1.x86_64.rpm
debuginfo=$packages/latchwatch-debuginfo-${version}-1.x86_64.rpm
for f in "$deb" "$ddeb" "$rpm_file" "$debuginfo"; do [ -f "$f" ] || { echo "missing $f"; ls "$packages"; exit 1; }; done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
expect() { grep -qE -- "$1" <<<"$2" || { echo "$3"; fail=1; }; }

# --- the .deb ---
listing=$(dpkg-deb -c "$deb")
expect '^-rw-r----- root/root .* \./etc/latchwatch/config\.json$' "$listing" "deb: config.json is not root-owned 0640"
expect '^-rwxr-xr-x root/root .* \./usr/bin/latchwatch$' "$listing" "deb: binary is not 0755"
for unit in latchwatch.service latchwatch-check.service latchwatch-check.timer; do
  expect "^-rw-r--r-- root/root .* \./usr/lib/systemd/system/$unit\$" "$listing" "deb: $unit missing or not 0644"
done
for doc in copyright LICENSE THIRD-PARTY-NOTICES changelog.gz; do
  expect "^-rw-r--r-- root/root .* \./usr/share/doc/latchwatch/$doc\$" "$listing" "deb: /usr/share/doc/latchwatch/$doc missing"
done
expect '\./usr/share/man/man8/latchwatch\.8\.gz$' "$listing" "deb: man page missing"
expect '\./usr/share/lintian/overrides/latchwatch$' "$listing" "deb: lintian overrides missing"
dpkg-deb -e "$deb" "$work/control"
grep -qx /etc/latchwatch/config.json "$work/control/conffiles" || { echo "deb: config.json is not a conffile"; fail=1; }
for script in postinst prerm postrm; do
  [ "$(stat -c %a "$work/control/$script")" = 755 ] || { echo "deb: $script not 0755"; fail=1; }
done
installed_kb=$(dpkg-deb -f "$deb" Installed-Size)
[ "$installed_kb" -lt 15360 ] || { echo "deb: Installed-Size ${installed_kb} KiB is not under 15 MB"; fail=1; }
[ -z "$(dpkg-deb -f "$deb" Depends)" ] || { echo "deb: a static binary needs no Depends: $(dpkg-deb -f "$deb" Depends)"; fail=1; }
dpkg-deb -x "$deb" "$work/deb"
binary=$work/deb/usr/bin/latchwatch

# --- the binary: static PIE, stripped, no glibc symbol versions, nothing to load ---
kind=$(file -b "$binary")
expect 'static-pie linked' "$kind" "binary is not a static PIE: $kind"
expect ', stripped' "$kind" "binary is not stripped: $kind"
if readelf -S "$binary" | has '\.debug_'; then echo "binary carries .debug_ sections"; fail=1; fi
if readelf -d "$binary" | has NEEDED; then echo "binary needs shared libraries"; fail=1; fi
if readelf -l "$binary" | has INTERP; then echo "binary has a program interpreter"; fail=1; fi
if readelf -V "$binary" | has GLIBC_; then echo "binary carries glibc symbol versions"; fail=1; fi
build_id=$(readelf -n "$binary" | sed -n 's/.*Build ID: \([0-9a-f]*\)/\1/p')
[ -n "$build_id" ] || { echo "binary has no build id"; fail=1; }
"$binary" --version | has -x "latchwatch $version" || { echo "packaged binary does not run"; fail=1; }

# --- debug symbols beside: the same build id, with DWARF, found through .gnu_debuglink ---
dpkg-deb -x "$ddeb" "$work/ddeb"
debug=$work/ddeb/usr/lib/debug/usr/bin/latchwatch.debug
[ -f "$debug" ] || { echo "ddeb lacks /usr/lib/debug/usr/bin/latchwatch.debug"; fail=1; }
[ "$(readelf -n "$debug" | sed -n 's/.*Build ID: \([0-9a-f]*\)/\1/p')" = "$build_id" ] || { echo "debug file's build id differs"; fail=1; }
readelf -S "$debug" | has '\.debug_info' || { echo "debug file has no DWARF"; fail=1; }
readelf --string-dump=.gnu_debuglink "$binary" | has 'latchwatch\.debug' || { echo "no .gnu_debuglink to latchwatch.debug"; fail=1; }
[ "$(dpkg-deb -f "$ddeb" Depends)" = "latchwatch (= $version)" ] || { echo "ddeb Depends: $(dpkg-deb -f "$ddeb" Depends)"; fail=1; }

# --- the RPM ---
rpm_listing=$(rpm -qlvp "$rpm_file" 2>/dev/null)
expect '^-rw-r----- .* root +root .* /etc/latchwatch/config\.json$' "$rpm_listing" "rpm: config.json is not root-owned 0640"
expect '^-rwxr-xr-x .* /usr/bin/latchwatch$' "$rpm_listing" "rpm: binary is not 0755"
for path in /usr/lib/systemd/system/latchwatch.service /usr/lib/systemd/system/latchwatch-check.timer \
            /usr/share/man/man8/latchwatch.8.gz /usr/share/doc/latchwatch/LICENSE \
            /usr/share/doc/latchwatch/THIRD-PARTY-NOTICES; do
  expect " $path\$" "$rpm_listing" "rpm: $path missing"
done
flags=$(rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "$rpm_file" 2>/dev/null)
expect '^cn /etc/latchwatch/config\.json$' "$flags" "rpm: config.json is not %config(noreplace)"
for owned in /etc /usr/lib/systemd/system /usr/share/man/man8 /usr/bin; do
  if grep -qx "$owned" <<<"$(rpm -qlp "$rpm_file" 2>/dev/null)"; then echo "rpm claims system folder $owned"; fail=1; fi
done
rpm_size=$(rpm -qp --qf '%{SIZE}' "$rpm_file" 2>/dev/null)
[ "$rpm_size" -lt 15728640 ] || { echo "rpm: installed size $rpm_size is not under 15 MB"; fail=1; }
rpm -qlp "$debuginfo" 2>/dev/null | has -x /usr/lib/debug/usr/bin/latchwatch.debug || { echo "debuginfo rpm lacks the debug file"; fail=1; }
requires=$(rpm -qp --requires "$rpm_file" 2>/dev/null | grep -v '^rpmlib(' | grep -v '^/bin/sh$' || true)
[ -z "$requires" ] || { echo "rpm: a static binary needs nothing, yet requires: $requires"; fail=1; }
# The notices name every library the binary embeds.
for name in OpenSSL "GNU C Library" "GNU C++ Library" Boost "JSON for Modern C++" spdlog '{fmt}'; do
  grep -qF "$name" "$work/deb/usr/share/doc/latchwatch/THIRD-PARTY-NOTICES" || { echo "notices lack $name"; fail=1; }
done
[ $fail -eq 0 ] && echo "packages carry what they should (deb ${installed_kb} KiB installed, rpm $rpm_size bytes)"
exit $fail
