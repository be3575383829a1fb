#!/usr/bin/env bash
# Reserves 2 MB hugepages and mounts hugetlbfs when the machine allows it.
#
# Never fails the caller: where hugepages cannot be had (containers, no root),
# zcswitch runs with --no-huge, which the example configurations use anyway.
# Prints nothing when hugepages are already set up.
set -uo pipefail

WANT=${ZCSWITCH_HUGEPAGES:-512}
[[ ${ZCSWITCH_SKIP_HUGEPAGES:-0} == 1 ]] && exit 0
[[ $(id -u) -eq 0 ]] || exit 0

nr=/proc/sys/vm/nr_hugepages
have=$(cat "$nr" 2>/dev/null || echo 0)
if ((have < WANT)); then
  if ! echo "$WANT" >"$nr" 2>/dev/null; then
    echo "setup-hugepages: cannot reserve hugepages here; using --no-huge" >&2
    exit 0
  fi
fi
if ! grep -qs ' /dev/hugepages hugetlbfs ' /proc/mounts; then
  mkdir -p /dev/hugepages
  mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null ||
    echo "setup-hugepages: cannot mount hugetlbfs; using --no-huge" >&2
fi
exit 0
