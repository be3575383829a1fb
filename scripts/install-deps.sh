#!/usr/bin/env bash
# Installs every Debian package zcswitch needs to build, test, benchmark and run
# guests, then sets up hugepages where the machine allows it.
#
# Idempotent and quiet when everything is already there. Run as root on Debian 12.
# ZCSWITCH_SKIP_HUGEPAGES=1 skips the hugepage step (containers, CI without privileges).
# --bench also installs what only `make bench` uses (its plot); `make test` does not need it.
set -euo pipefail

PACKAGES=(
  # build
  build-essential make cmake pkg-config ninja-build
  libdpdk-dev dpdk dpdk-dev
  libabsl-dev libgflags-dev libgtest-dev libgmock-dev libbenchmark-dev
  prometheus-cpp-dev libyaml-cpp-dev nlohmann-json3-dev
  libpcap-dev libnuma-dev libedit-dev
  # tests: packet tools and sanitizer/fuzzer runtimes
  tshark tcpdump iproute2 iputils-ping procps python3
  clang libclang-rt-14-dev
  # guests: QEMU, and what scripts/build-guest.sh packs into their initramfs
  qemu-system-x86 busybox-static cpio ethtool
)
# make bench only: perf/bench_vhost_io.py --plot
BENCH_PACKAGES=(python3-matplotlib)
if [[ ${1:-} == --bench ]]; then
  PACKAGES+=("${BENCH_PACKAGES[@]}")
elif [[ $# -gt 0 ]]; then
  echo "usage: $0 [--bench]" >&2
  exit 2
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing packages: ${missing[*]} (run as root to install)" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer once, non-interactively.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

"$(dirname "$0")/setup-hugepages.sh" || true
