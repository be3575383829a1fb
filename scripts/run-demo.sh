#!/usr/bin/env bash
# `make run`: zcswitchd in the foreground on CONFIG and, when CONFIG has the
# demo's guest port (it names build/demo/guest.sock), a guest sending into it:
# a DPDK virtio-user traffic generator (dpdk-testpmd, txonly, 64 B frames)
# in the background. The generator listens on the socket (virtio-user
# server=1) and zcswitchd's client-mode port connects to it, so neither has to
# start first. The generator is stopped whenever this script exits.
#
# Run from the repository root: the demo's paths are relative to it. The
# generator's output goes to build/demo/generator.log.
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
GUEST_SOCK=build/demo/guest.sock
GENERATOR_LOG=build/demo/generator.log

generator_pid=
stop_generator() {
  [ -n "$generator_pid" ] || return 0
  kill -TERM "$generator_pid" 2>/dev/null || true
  # testpmd closes its port and exits on SIGTERM; a hung one is killed.
  for _ in $(seq 50); do
    kill -0 "$generator_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$generator_pid" 2>/dev/null || true
  wait "$generator_pid" 2>/dev/null || true
}
trap stop_generator EXIT
# SIGINT needs no trap: zcswitchd gets it too (Ctrl-C, or timeout below), stops
# in order, and the script then ends, running the EXIT trap.
trap 'exit 143' TERM

if grep -q "$GUEST_SOCK" "$CONFIG"; then
  mkdir -p "$(dirname "$GUEST_SOCK")"
  # A socket left by a generator that was killed outright would make the
  # new one's bind fail.
  rm -f "$GUEST_SOCK"
  # Its forwarding lcore on CPU 0 (main lcore 1), away from zcswitchd's
  # forwarding lcore 1. --stats-period keeps it running without a terminal
  # (it reads no stdin then); --no-huge memory is memfd-backed, which
  # zcswitchd maps. Its own file prefix (with this script's PID) lets it run
  # beside any other DPDK process.
  dpdk-testpmd -l 0,1 --main-lcore 1 --no-huge -m 256 --no-pci --single-file-segments \
    --iova-mode=va --file-prefix=zcswitch-demo-gen$$ \
    --vdev "net_virtio_user0,path=$GUEST_SOCK,server=1,queue_size=1024" -- \
    --forward-mode=txonly --txpkts=64 --total-num-mbufs=4096 --stats-period=10 \
    < /dev/null > "$GENERATOR_LOG" 2>&1 &
  generator_pid=$!
  echo "run-demo: guest traffic generator (dpdk-testpmd virtio-user, pid $generator_pid) on $GUEST_SOCK, log $GENERATOR_LOG"
fi

daemon=("$ZCSWITCHD" "--config=$CONFIG" "--stats_period=$STATS_PERIOD" "$@")
if [ -z "$DURATION" ]; then
  "${daemon[@]}"
else
  # timeout's 124 is how a run that lasted DURATION ends.
  timeout -s INT -k 10 "$DURATION" "${daemon[@]}" || [ $? -eq 124 ]
fi
