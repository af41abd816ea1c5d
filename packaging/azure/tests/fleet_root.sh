#!/usr/bin/env bash
# Sourced by the fleet tests: make_root DIR unpacks a Debian 11 root for them into DIR/root.
#
# The base is the minbase root packaging/tests/debian11_root.sh caches
# ($LATCHWATCH_TEST_CACHE/debian11-minbase.tar, made here the same way when missing); on it, once,
# apt-get (deb.debian.org) adds what an Azure image has and minbase lacks: systemd (so
# systemctl and deb-systemd-helper act on the root as on an image, offline), curl, sudo, and
# python3 with python3-apt for Ansible's modules, and rpm (Debian's, for the RPM commands). The
# result is cached as debian11-fleet-v2.tar: about a minute the first time, a second after.
# Needs root (debootstrap, chroot).
fleet_cache=${LATCHWATCH_TEST_CACHE:-/var/cache/latchwatch-test}
fleet_mirror=${LATCHWATCH_DEBIAN_MIRROR:-http://deb.debian.org/debian}

fleet_base_tarball() {
  local tarball=$fleet_cache/debian11-minbase.tar staging
  mkdir -p "$fleet_cache"
  if [ ! -s "$tarball" ]; then
    command -v debootstrap >/dev/null || { echo "debootstrap missing (packaging/azure/tests/deps.txt)"; return 1; }
    echo "making the Debian 11 root with debootstrap (once; cached in $tarball)" >&2
    staging=$(mktemp -d "$fleet_cache/debootstrap.XXXXXX")
    if ! debootstrap --variant=minbase bullseye "$staging/root" "$fleet_mirror" > "$fleet_cache/debootstrap.log" 2>&1; then
      tail -20 "$fleet_cache/debootstrap.log" >&2; rm -rf "$staging"; return 1
    fi
    tar -C "$staging/root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$staging"
  fi
  echo "$tarball"
}

fleet_tarball() {
  local tarball=$fleet_cache/debian11-fleet-v2.tar base staging
  if [ ! -s "$tarball" ]; then
    base=$(fleet_base_tarball) || return 1
    echo "adding systemd, curl, sudo, python3 to the Debian 11 root (once; cached in $tarball)" >&2
    staging=$(mktemp -d "$fleet_cache/fleet.XXXXXX")
    mkdir "$staging/root" && tar -C "$staging/root" -xf "$base"
    cp /etc/resolv.conf "$staging/root/etc/resolv.conf" 2>/dev/null || true
    if ! unshare --mount --propagation private sh -c '
        mount -t proc proc "$1/proc" && mount --rbind /dev "$1/dev" &&
        chroot "$1" apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive chroot "$1" apt-get install -y -qq --no-install-recommends \
          systemd systemd-sysv curl ca-certificates sudo python3 python3-apt rpm && chroot "$1" apt-get clean' \
        sh "$staging/root" > "$fleet_cache/fleet-root.log" 2>&1; then
      tail -20 "$fleet_cache/fleet-root.log" >&2; rm -rf "$staging"; return 1
    fi
    tar -C "$staging/root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$staging"
  fi
  echo "$tarball"
}

# make_root DIR: DIR/root is a fresh copy.
make_root() {
  local tarball
  tarball=$(fleet_tarball) || return 1
  mkdir -p "$1/root"
  tar -C "$1/root" -xf "$tarball"
}

# start_sim BUILD WORK ROOT SCENARIO: runs BUILD's fabric simulator with GPA's files under ROOT/vm
# (sets sim_pid) and writes WORK/config.sed, which points a config at it: endpoints by the host
# name fabric.latchwatch.test (add_sim_host puts it in ROOT/etc/hosts), GPA paths inside ROOT.
start_sim() {
  local build=$1 work=$2 root=$3 scenario=$4
  "$build/tests/latchwatch-fabric-sim" --scenario "$scenario" --gpa-dir "$root/vm" --ports-file "$work/ports.json" >/dev/null &
  sim_pid=$!
  # As packaging/tests/debian11_root.sh: the simulator writes its ports file when it listens.
  for _ in $(seq 1 100); do [ -s "$work/ports.json" ] && break; sleep 0.1; done
  [ -s "$work/ports.json" ] || { echo "the simulator wrote no ports file"; return 1; }
  local key
  port() { sed -n "s/.*\"$1\":\"127\\.0\\.0\\.1:\\([0-9]*\\)\".*/\\1/p" "$work/ports.json"; }
  inside() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" "$work/ports.json" | sed "s|^$root||"; }
  cat > "$work/config.sed" <<SED
s|"168.63.129.16:80"|"fabric.latchwatch.test:$(port wireserver)"|
s|"168.63.129.16:32526"|"fabric.latchwatch.test:$(port hostga)"|
s|"169.254.169.254:80"|"fabric.latchwatch.test:$(port imds)"|
s|"127.0.0.1:3080"|"fabric.latchwatch.test:$(port gpa)"|
s|"gpa_key_dir": "[^"]*"|"gpa_key_dir": "$(inside key_dir)"|
s|"gpa_status_file": "[^"]*"|"gpa_status_file": "$(inside status_file)"|
s|"gpa_unit_file": "[^"]*"|"gpa_unit_file": "$(inside unit_file)"|
s|"gpa_binary": "[^"]*"|"gpa_binary": "$(inside binary)"|
s|"smbios_uuid_file": "[^"]*"|"smbios_uuid_file": "$(inside smbios_file)"|
SED
}

# sim_config BUILD WORK: WORK/sim-config.json, every key at BUILD's default (`config show` of
# an empty config: independent of what packaging/config.json spells out) pointed at the
# simulator by WORK/config.sed.
sim_config() {
  echo '{}' > "$2/empty-config.json"
  "$1/agent/latchwatch" config show --config "$2/empty-config.json" | sed -f "$2/config.sed" > "$2/sim-config.json"
  grep -q fabric.latchwatch.test "$2/sim-config.json" || { echo "config.sed did not point the defaults at the simulator"; return 1; }
}

add_sim_host() { echo "127.0.0.1 fabric.latchwatch.test" >> "$1/etc/hosts"; }

# The .deb from BUILD (packaging/tests/build_packages.sh makes it once with cpack), or the one
# LATCHWATCH_TEST_DEB names.
deb_of() {
  local packages
  if [ -n "${LATCHWATCH_TEST_DEB:-}" ]; then echo "$LATCHWATCH_TEST_DEB"; return; fi
  packages=$("$1/packaging/tests/build_packages.sh" "$1" "$2") || return 1
  ls "$packages"/latchwatch_*_amd64.deb | grep -v dbgsym | head -1
}

# The RPM from BUILD, likewise (or LATCHWATCH_TEST_RPM).
rpm_of() {
  local packages
  if [ -n "${LATCHWATCH_TEST_RPM:-}" ]; then echo "$LATCHWATCH_TEST_RPM"; return; fi
  packages=$("$1/packaging/tests/build_packages.sh" "$1" "$2") || return 1
  ls "$packages"/latchwatch-*.x86_64.rpm | grep -v debuginfo | head -1
}
