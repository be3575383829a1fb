#!/usr/bin/env bash
# `make run`: zcswitchd in the foreground on CONFIG and, when CONFIG has the
# demo's guest ports (it names their sockets), two guests in the background:
# DPDK virtio-user front-ends (dpdk-testpmd), each listening on its socket
# (virtio-user server=1) for zcswitchd's client-mode port to connect to.
#   guest B  MAC 02:00:00:00:00:02, build/demo/guest-b.sock: macswap, so each
#            frame goes back to whoever sent it
#   guest A  MAC 02:00:00:00:00:0a, build/demo/guest-a.sock: sends a burst of
#            512 1518-byte frames to guest B's MAC (--tx-first), then answers
#            every frame it gets with a frame to B (testpmd's mac mode:
#            source its own MAC, destination --eth-peer). The frames go back
#            and forth between the two for as long as the demo runs.
#   guest C  MAC 02:00:00:00:00:0c, build/demo/guest-c.sock (when CONFIG
#            names it): sends 1518-byte frames to the gateway MAC
#            02:00:00:00:00:fe as fast as it can (txonly), which the demo's
#            FDB puts behind its net_null "NIC": zero-copy's traffic.
# Guest A starts once guest B forwards, so that A's opening burst finds B's
# link up: a burst lost to a port that is still down would never be replaced.
# (txonly would never read B's replies: A's receive ring would fill after
# 1024 of them and the switch would drop the rest.) The guests are stopped
# whenever this script exits.
#
# Run from the repository root: the demo's paths are relative to it. The
# guests' output goes to build/demo/guest-a.log and guest-b.log.
#
# Environment (the Makefile passes its variables of the same names):
#   CONFIG        configuration (config/demo.yaml)
#   DURATION      seconds until zcswitchd gets SIGINT; empty: until Ctrl-C
#   STATS_PERIOD  zcswitchd's --stats_period (2)
#   ZCSWITCHD     the daemon (build/bin/zcswitchd)
# Arguments are appended to zcswitchd's, e.g. `--control_socket=x.sock -- --file-prefix=y`.
set -euo pipefail

CONFIG=${CONFIG:-config/demo.yaml}
DURATION=${DURATION:-}
STATS_PERIOD=${STATS_PERIOD:-2}
ZCSWITCHD=${ZCSWITCHD:-build/bin/zcswitchd}
DEMO_DIR=build/demo
GUEST_A_SOCK=$DEMO_DIR/guest-a.sock
GUEST_B_SOCK=$DEMO_DIR/guest-b.sock
GUEST_A_MAC=02:00:00:00:00:0a
GUEST_B_MAC=02:00:00:00:00:02
GUEST_C_SOCK=$DEMO_DIR/guest-c.sock
GUEST_C_MAC=02:00:00:00:00:0c
GATEWAY_MAC=02:00:00:00:00:fe

guest_pids=()
stop_guests() {
  local pid
  for pid in "${guest_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # testpmd closes its port and exits on SIGTERM; a hung one is killed.
  for pid in "${guest_pids[@]}"; do
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
trap stop_guests EXIT
# SIGINT needs no trap: zcswitchd gets it too (Ctrl-C, or timeout below), stops
# in order, and the script then ends, running the EXIT trap. The guests, started
# in the background, ignore SIGINT.
trap 'exit 143' TERM

# A virtio-user front-end on socket $2, MAC $3, log $1; the rest are testpmd's
# options. Its forwarding lcore on CPU 0 (main lcore 1), away from zcswitchd's
# forwarding lcore 1. --stats-period keeps it running without a terminal (it
# reads no stdin then); --no-huge memory is memfd-backed, which zcswitchd maps.
# Its own file prefix (with this script's PID) lets it run beside any other
# DPDK process. It waits for zcswitchd to connect before it starts forwarding.
guest() {
  local log=$1 sock=$2 mac=$3
  shift 3
  exec dpdk-testpmd -l 0,1 --main-lcore 1 --no-huge -m 256 --no-pci --single-file-segments \
    --iova-mode=va --file-prefix="zcswitch-demo-$(basename "$sock" .sock)$$" \
    --vdev "net_virtio_user0,path=$sock,server=1,queue_size=1024,mac=$mac" -- \
    --total-num-mbufs=4096 --stats-period=10 "$@" < /dev/null > "$log" 2>&1
}

if grep -q "$GUEST_B_SOCK" "$CONFIG"; then
  mkdir -p "$DEMO_DIR"
  # A socket left by a guest that was killed outright would make the new
  # one's bind fail.
  rm -f "$GUEST_B_SOCK" "$GUEST_A_SOCK" "$GUEST_C_SOCK"
  (guest "$DEMO_DIR/guest-b.log" "$GUEST_B_SOCK" "$GUEST_B_MAC" --forward-mode=macswap) &
  guest_pids+=($!)
  echo "run-demo: guest B (dpdk-testpmd virtio-user, pid $!, MAC $GUEST_B_MAC, macswap) on $GUEST_B_SOCK, log $DEMO_DIR/guest-b.log"
  if grep -q "$GUEST_A_SOCK" "$CONFIG"; then
    # The subshell becomes guest A's testpmd (exec), so its PID is A's.
    (
      for _ in $(seq 600); do
        grep -q "start packet forwarding" "$DEMO_DIR/guest-b.log" 2>/dev/null && break
        sleep 0.1
      done
      sleep 1  # zcswitchd sees B's link come up within its next few polls
      guest "$DEMO_DIR/guest-a.log" "$GUEST_A_SOCK" "$GUEST_A_MAC" --forward-mode=mac \
        "--eth-peer=0,$GUEST_B_MAC" --tx-first --burst=512 --txpkts=1518
    ) &
    guest_pids+=($!)
    echo "run-demo: guest A (dpdk-testpmd virtio-user, pid $!, MAC $GUEST_A_MAC, sends to B) on $GUEST_A_SOCK once B forwards, log $DEMO_DIR/guest-a.log"
  fi
  if grep -q "$GUEST_C_SOCK" "$CONFIG"; then
    (guest "$DEMO_DIR/guest-c.log" "$GUEST_C_SOCK" "$GUEST_C_MAC" --forward-mode=txonly \
      "--eth-peer=0,$GATEWAY_MAC" --txpkts=1518) &
    guest_pids+=($!)
    echo "run-demo: guest C (dpdk-testpmd virtio-user, pid $!, MAC $GUEST_C_MAC, sends to the gateway $GATEWAY_MAC behind nic) on $GUEST_C_SOCK, log $DEMO_DIR/guest-c.log"
  fi
fi

daemon=("$ZCSWITCHD" "--config=$CONFIG" "--stats_period=$STATS_PERIOD" "$@")
if [ -z "$DURATION" ]; then
  "${daemon[@]}"
else
  # timeout's 124 is how a run that lasted DURATION ends. --foreground: one
  # SIGINT, to zcswitchd alone; without it timeout also signals its process
  # group, and a second SIGINT that comes after zcswitchd has begun stopping
  # kills it outright (no final statistics, and still 124).
  timeout --foreground -s INT -k 10 "$DURATION" "${daemon[@]}" || [ $? -eq 124 ]
fi
