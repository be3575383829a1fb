#!/usr/bin/env bash
# Builds the test guest: OUT_DIR/vmlinuz (a Debian cloud kernel) and
# OUT_DIR/initramfs.gz (busybox, the virtio-net modules, ethtool).
#
# The guest's /init configures eth0 from the kernel command line
# (zc.ip=10.0.0.1/24, zc.mtu=1500; both optional), prints ZCGUEST-READY and
# runs a shell on the commands typed on ttyS0, for the test harness
# (tests/integration/guest.py).
#
# Idempotent: when OUT_DIR holds results built by this same script, it does
# nothing, without asking apt (a container may have dropped its package lists).
# The kernel is the newest linux-image-6.1.0-N-cloud-amd64 apt knows of, or
# ZCSWITCH_GUEST_KERNEL (e.g. 6.1.0-56) when set.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 OUT_DIR" >&2
  exit 2
fi
out=$1
script_hash=$(sha256sum "$0" | cut -d' ' -f1)
stamp="$out/stamp"
if [[ -f "$out/vmlinuz" && -f "$out/initramfs.gz" && -f "$stamp" ]] &&
   grep -qx "script $script_hash" "$stamp" &&
   { [[ -z ${ZCSWITCH_GUEST_KERNEL:-} ]] || grep -qx "kernel $ZCSWITCH_GUEST_KERNEL" "$stamp"; }; then
  exit 0
fi

newest_kernel() {
  apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-cloud-amd64$' |
    sed -n 's/^linux-image-\(6\.1\.0-[0-9]*\)-cloud-amd64 .*/\1/p' | sort -V | tail -n 1
}

kver=${ZCSWITCH_GUEST_KERNEL:-}
if [[ -z $kver ]]; then
  kver=$(newest_kernel)
  if [[ -z $kver ]]; then
    # Containers drop their package lists after installing.
    apt-get update -qq
    kver=$(newest_kernel)
  fi
fi
if [[ -z $kver ]]; then
  echo "build-guest: apt knows no linux-image-6.1.0-*-cloud-amd64" >&2
  exit 1
fi
echo "build-guest: kernel $kver-cloud-amd64 into $out"

mkdir -p "$out"
work=$(mktemp -d "$out/tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT

pkg=linux-image-$kver-cloud-amd64
# As root, since the _apt user may not reach OUT_DIR.
(cd "$work" && apt-get download -qq -o APT::Sandbox::User=root "$pkg" >/dev/null)
dpkg -x "$work"/"$pkg"_*.deb "$work/kernel"
release=$(basename "$(ls -d "$work"/kernel/lib/modules/*)")
moddir=$work/kernel/lib/modules/$release

root=$work/root
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,modules}
cp /bin/busybox "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [[ -e "$root/bin/$applet" ]] || ln -s busybox "$root/bin/$applet"
done

modules=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
         failover net_failover virtio_net)
for m in "${modules[@]}"; do
  # Bookworm's kernels ship their modules uncompressed.
  ko=$(find "$moddir" -name "$m.ko" | head -n 1)
  if [[ -z $ko ]]; then
    echo "build-guest: $m.ko not in $pkg" >&2
    exit 1
  fi
  cp "$ko" "$root/modules/$m.ko"
done

# /init loads the modules in the order of their own dependencies (depends= in
# .modinfo), so a kernel that moves a symbol between them still boots.
order=" "
while [[ $(wc -w <<<"$order") -lt ${#modules[@]} ]]; do
  placed=0
  for m in "${modules[@]}"; do
    [[ $order == *" $m "* ]] && continue
    deps=$(tr '\0' '\n' <"$root/modules/$m.ko" | sed -n 's/^depends=//p' | head -n 1)
    ready=1
    for dep in ${deps//,/ }; do
      [[ $order == *" $dep "* ]] || ready=0
    done
    if ((ready)); then
      order+="$m "
      placed=1
    fi
  done
  if ((!placed)); then
    echo "build-guest: module dependencies outside the list; placed:$order" >&2
    exit 1
  fi
done
echo $order >"$root/modules/order"

# ethtool and the shared libraries it loads, at the paths the loader expects.
ethtool=$(command -v ethtool || echo /usr/sbin/ethtool)
cp "$ethtool" "$root/sbin/ethtool"
for lib in $(ldd "$ethtool" | grep -o '/[^ ]*'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done

cat >"$root/init" <<'EOF'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp

for m in $(cat /modules/order); do
  insmod /modules/$m.ko || echo "ZCGUEST: insmod $m failed"
done

ip=
mtu=
for arg in $(cat /proc/cmdline); do
  case $arg in
    zc.ip=*) ip=${arg#zc.ip=} ;;
    zc.mtu=*) mtu=${arg#zc.mtu=} ;;
  esac
done

ip link set lo up
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do
  sleep 0.1
  i=$((i + 1))
done
if [ -e /sys/class/net/eth0 ]; then
  [ -n "$mtu" ] && ip link set eth0 mtu "$mtu"
  [ -n "$ip" ] && ip addr add "$ip" dev eth0
  ip link set eth0 up
  # The carrier follows a moment later; the first packets would wait for it.
  i=0
  while [ "$(cat /sys/class/net/eth0/carrier)" != 1 ] && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
  done
  echo "ZCGUEST-READY eth0 $ip mtu $(cat /sys/class/net/eth0/mtu) carrier $(cat /sys/class/net/eth0/carrier)"
else
  echo "ZCGUEST-FAILED no eth0"
  lsmod
fi

# Kernel messages would interleave with the harness's command output.
echo 1 > /proc/sys/kernel/printk
export PATH=/bin:/sbin
# A shell fed the console through a pipe is not interactive: no prompt, no line
# editing, no job notices, so each command line runs exactly as it was sent.
# The lines are passed on one by one: busybox cat would splice the tty into
# the pipe and hold lines back.
stty -echo
while true; do
  while IFS= read -r line; do
    printf '%s\n' "$line"
  done < /dev/ttyS0 | sh > /dev/ttyS0 2>&1
done
EOF
chmod +x "$root/init"

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -9n >"$work/initramfs.gz"
cp "$work/kernel/boot/vmlinuz-$release" "$work/vmlinuz"
mv "$work/vmlinuz" "$work/initramfs.gz" "$out/"
printf 'script %s\nkernel %s\nrelease %s\n' "$script_hash" "$kver" "$release" >"$stamp"
echo "build-guest: $out/vmlinuz ($release), $out/initramfs.gz"
