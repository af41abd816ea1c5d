#!/bin/sh
# Installs the Debian 12 packages latchwatch needs, and only those that are missing.
#   packaging/install-deps.sh build   compiler, CMake and libraries
#   packaging/install-deps.sh test    the above plus what the test suite runs for real
#   packaging/install-deps.sh package the build packages plus what CPack needs for the .deb and RPM
#   packaging/install-deps.sh fuzz    the build packages plus clang and libFuzzer
#   packaging/install-deps.sh windows the mingw-w64 cross compiler, wine64 and wixl (`make windows`)
set -eu

# GoogleTest is here too: the fabric simulator (for `make demo`) builds with the test tree.
build_packages="g++ make cmake pkg-config libboost-dev nlohmann-json3-dev libspdlog-dev libssl-dev libgtest-dev"
# CPack's RPM generator runs rpmbuild (Debian package rpm); the .deb is checked with lintian.
package_packages="dpkg-dev file rpm"
# The fleet routes' tests (packaging/azure/tests/deps.txt): cloud-init's schema check, Ansible,
# the Packer template's HCL parse (Go), YAML and JSON Schema for the templates. Node.js runs the
# owner-side reset receiver's tests (contrib/azure/reset-receiver).
fleet_packages="python3-yaml cloud-init ansible util-linux golang-go golang-github-hashicorp-hcl-v2-dev"
# The packaging tests: lintian, rpm --root, a Debian 11 root (debootstrap), strace to see that the
# static binary loads nothing, init-system-helpers for the maintainer scripts; chromium renders
# the fleet plan's HTML page; jq runs the printed Uniform-instance REST reset (GET, raise, PUT).
# nodejs and npm also run the issue-22 tools in tests/support/node (the cloudevents SDK, Azurite and
# @azure/storage-blob; `npm ci` there, from its committed package-lock.json).
test_packages="openssl clang-format prometheus-alertmanager prometheus systemd $package_packages lintian debootstrap strace init-system-helpers systemd-container chromium jq nodejs npm python3 python3-jmespath python3-jsonschema $fleet_packages"

fuzz_packages="clang libclang-rt-14-dev"
# Windows: the cross compiler (posix threads), GoogleTest's sources, wine64 to run the tests and
# wixl/msitools for the MSI; the header-only libraries come from the build packages. jq compares
# the reports, openssl and python3 make and serve the WinHTTP test's certificates, file checks the
# MSI's exe.
windows_packages="g++-mingw-w64-x86-64-posix googletest wine64 wixl msitools jq openssl python3 file"
bench_packages="python3 curl prometheus-alertmanager prometheus-blackbox-exporter binutils nodejs npm"

mode=${1:-build}
case "$mode" in
  build) wanted="$build_packages" ;;
  test) wanted="$build_packages $test_packages" ;;
  package) wanted="$build_packages $package_packages" ;;
  fuzz) wanted="$build_packages $fuzz_packages" ;;
  bench) wanted="$build_packages $bench_packages" ;;
  windows) wanted="$build_packages $windows_packages" ;;
  *) echo "usage: $0 build|test|package|fuzz|bench|windows" >&2; exit 2 ;;
esac

missing=""
for package in $wanted; do
  # Node.js from another source (an image's NodeSource nodejs ships its own npm, and Debian's npm
  # package cannot install beside it): a working command is enough.
  case "$package" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
  esac
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $package"
  fi
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages:$missing (run as root, or install them with apt-get)" >&2
    exit 1
  fi
  echo "installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# The tests' Node.js tools (the cloudevents SDK, Azurite, @azure/storage-blob) from npm, exactly
# as tests/support/node/package-lock.json pins them; only when that lock changed since.
if [ "$mode" = test ]; then
  node_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/support/node"
  if [ ! -f "$node_dir/node_modules/.package-lock.json" ] ||
     [ "$node_dir/package-lock.json" -nt "$node_dir/node_modules/.package-lock.json" ]; then
    echo "npm ci in tests/support/node"
    (cd "$node_dir" && npm ci --prefer-offline --no-audit --no-fund >/dev/null)
  fi
fi
