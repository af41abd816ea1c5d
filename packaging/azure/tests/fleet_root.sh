#!/usr/bin/env bash
# Sourced by the fleet tests: make_root DIR unpacks a Debian 11 root for them into DIR/root.
#
# The base is the minbase root packaging/tests/debian11_root.sh caches
# ($LATCHWATCH_TEST_CACHE/debian11-minbase.tar, made here the same way when missing); on it, once,
# apt-get (deb.debian.org) adds what an Azure image has and minbase lacks: systemd (so
# systemctl and deb-systemd-helper act on the root as on an image, offline), curl, sudo, and
# python3 with python3-apt for Ansible's modules. The result is cached as debian11-fleet.tar:
# about a minute the first time, a second after. Needs root (debootstrap, chroot).
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
  local tarball=$fleet_cache/debian11-fleet.tar base staging
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
          systemd systemd-sysv curl ca-certificates sudo python3 python3-apt && chroot "$1" apt-get clean' \
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
