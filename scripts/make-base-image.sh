#!/usr/bin/env bash
# Makes sure the local container base image localhost/debian:bookworm exists.
#
# Promises: after a successful run, podman, runc and debootstrap are installed and
# `podman image exists localhost/debian:bookworm` succeeds. The image is a
# debootstrap --variant=minbase bookworm root filesystem built from the Debian mirror
# this machine's apt already uses (read from /etc/apt/sources.list{,.d/*} at run time,
# falling back to http://deb.debian.org/debian), since no container registry is
# reachable. Idempotent: does nothing when the image is already there.
# Run as root on Debian 12. ZCSWITCH_BASE_IMAGE overrides the image name.
set -euo pipefail

IMAGE=${ZCSWITCH_BASE_IMAGE:-localhost/debian:bookworm}
SUITE=bookworm
WORKDIR=/var/tmp/zcswitch-rootfs
FALLBACK_MIRROR=http://deb.debian.org/debian
PODMAN=(podman --cgroup-manager=cgroupfs --runtime=runc)

if [[ $(id -u) -ne 0 ]]; then
  echo "make-base-image: must run as root" >&2
  exit 1
fi

# 1. Tools.
missing=()
for p in podman runc debootstrap; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "make-base-image: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -q
  apt-get -o DPkg::Lock::Timeout=600 install -y -q "${missing[@]}"
fi

if "${PODMAN[@]}" image exists "$IMAGE"; then
  exit 0
fi

# 2. Mirror: the first http(s) URI in the apt sources that serves "$SUITE" itself
# (not -updates/-security). Handles both one-line .list and deb822 .sources files.
find_mirror() {
  local files=()
  [[ -f /etc/apt/sources.list ]] && files+=(/etc/apt/sources.list)
  local f
  for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] && files+=("$f")
  done
  ((${#files[@]})) || return 0
  for f in "${files[@]}"; do
    if [[ $f == *.sources ]]; then
      # deb822: stanzas separated by blank lines.
      awk -v suite="$SUITE" '
        function flush() {
          if (types ~ /(^| )deb( |$)/ && enabled != "no" && (" " suites " ") ~ (" " suite " "))
            { n = split(uris, u, " "); for (i = 1; i <= n; i++) print u[i] }
          types = ""; uris = ""; suites = ""; enabled = ""
        }
        /^[[:space:]]*#/ { next }
        /^[[:space:]]*$/ { flush(); next }
        { key = tolower($1); $1 = ""; sub(/^ +/, "") }
        key == "types:"   { types = $0 }
        key == "uris:"    { uris = $0 }
        key == "suites:"  { suites = $0 }
        key == "enabled:" { enabled = tolower($0) }
        END { flush() }
      ' "$f"
    else
      # one-line: deb [options] URI SUITE COMPONENTS...
      sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" |
        awk -v suite="$SUITE" '$1 == "deb" && $3 == suite { print $2 }'
    fi
  done | grep -E '^https?://' | head -n 1 || true
}

MIRROR=$(find_mirror)
MIRROR=${MIRROR:-$FALLBACK_MIRROR}
MIRROR=${MIRROR%/}
echo "make-base-image: building $IMAGE from $MIRROR ($SUITE, minbase)"

# 3. Root filesystem, then import. A leftover partial rootfs is discarded.
rootfs="$WORKDIR/$SUITE"
rm -rf "$rootfs"
mkdir -p "$WORKDIR"
trap 'rm -rf "$rootfs"' EXIT
debootstrap --variant=minbase "$SUITE" "$rootfs" "$MIRROR"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
tar -C "$rootfs" -c . | "${PODMAN[@]}" import - "$IMAGE"

"${PODMAN[@]}" run --rm --network=host --ulimit nofile=4096:4096 --ulimit nproc=4096:4096 \
  "$IMAGE" cat /etc/debian_version
echo "make-base-image: $IMAGE ready"
