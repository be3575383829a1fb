#!/usr/bin/env python3
"""Benchmark: a guest's transmit path through a vhost-user port, zcswitchd vs
dpdk-testpmd's net_vhost, on the same cores in the same run.

For each packet size, a DPDK virtio-user generator (testpmd txonly, forwarding
lcore on CPU 0) sends as fast as it can into a vhost-user socket. The switch
under test forwards in io mode to a net_null sink with its forwarding lcore on
CPU 1:
  - zcswitchd: cycles per packet = busy TSC cycles / packets of its lcore,
    over a window after warm-up, read from its control socket;
  - dpdk-testpmd --vdev net_vhost0 with --record-core-cycles, which prints
    CPU cycles/packet when stopped.
Packets per second are the sink's over the same window. The machine is shared
and noisy: the ratio of the two in one run means more than either number.

Usage: perf/bench_vhost_io.py [--sizes 64,1518,9000] [--seconds 8] [--runs 3]
Prints a Markdown table; medians over runs.
"""
import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ZCSWITCHD = os.path.join(ROOT, "build", "bin", "zcswitchd")
EAL_COMMON = ["--no-huge", "-m", "1024", "--no-pci"]


def generator(workdir, sock, size, prefix):
    """testpmd virtio-user txonly on lcore 0 (main lcore 1)."""
    jumbo = ["--mbuf-size=10240", "--max-pkt-len=9600"] if size > 1518 else []
    cmd = ["dpdk-testpmd", "-l", "0,1", "--main-lcore", "1", *EAL_COMMON,
           "--single-file-segments", "--iova-mode=va", f"--file-prefix={prefix}",
           "--vdev", f"net_virtio_user0,path={sock},queue_size=1024", "--",
           *jumbo, "--forward-mode=txonly", f"--txpkts={size}", "--stats-period=1000",
           "--total-num-mbufs=32768"]
    return subprocess.Popen(cmd, cwd=workdir, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for(path, timeout=20):
    """Until the switch under test has made its vhost-user socket."""
    deadline = time.time() + timeout
    while not os.path.exists(path) and time.time() < deadline:
        time.sleep(0.1)


def control(sock_path, *words):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(sock_path)
        s.sendall((json.dumps({"command": list(words)}) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            buf += s.recv(65536)
    return json.loads(buf)["data"]


def run_zcswitch(workdir, size, seconds):
    sock = os.path.join(workdir, "vm.sock")
    ctl = os.path.join(workdir, "ctl.sock")
    config = os.path.join(workdir, "zc.yaml")
    with open(config, "w") as f:
        f.write(f"""
eal: [-l, "0,1", --main-lcore, "0", {", ".join(EAL_COMMON)}, --file-prefix=benchzc]
forwarding: {{mode: io, lcores: [1], pairs: [[vm, sink]], tx_retries: 0}}
ports:
  - {{name: vm, type: vhost-user, socket: "{sock}"}}
  - {{name: sink, type: ethdev, devargs: "net_null0,no-rx=1"}}
""")
    zc = subprocess.Popen([ZCSWITCHD, f"--config={config}", "--metrics_address=",
                           f"--control_socket={ctl}"], cwd=workdir,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(sock)
        gen = generator(workdir, sock, size, "benchgen")
        try:
            time.sleep(3)  # warm-up
            t0, a = time.time(), control(ctl, "show", "lcore", "stats")["lcores"][0]
            time.sleep(seconds)
            t1, b = time.time(), control(ctl, "show", "lcore", "stats")["lcores"][0]
        finally:
            gen.terminate()
            gen.wait()
    finally:
        zc.terminate()
        zc.wait()
    packets = b["packets"] - a["packets"]
    busy = b["busy_cycles"] - a["busy_cycles"]
    idle = b["idle_cycles"] - a["idle_cycles"]
    if os.environ.get("BENCH_VERBOSE"):
        print(f"  zcswitchd lcore busy {100 * busy / max(busy + idle, 1):.0f}%", flush=True)
    return busy / max(packets, 1), packets / (t1 - t0) / 1e6


def run_testpmd(workdir, size, seconds):
    sock = os.path.join(workdir, "tp-vhost.sock")
    jumbo = ["--mbuf-size=10240", "--max-pkt-len=9600"] if size > 1518 else []
    cmd = ["dpdk-testpmd", "-l", "0,1", "--main-lcore", "0", *EAL_COMMON,
           "--file-prefix=benchtp", "--vdev", f"net_vhost0,iface={sock},queues=1",
           "--vdev", "net_null0,no-rx=1", "--", "-i", *jumbo, "--forward-mode=io",
           "--record-core-cycles", "--total-num-mbufs=32768"]
    out_path = os.path.join(workdir, "testpmd-backend.out")
    with open(out_path, "w") as out:
        tp = subprocess.Popen(cmd, cwd=workdir, stdin=subprocess.PIPE, stdout=out,
                              stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(sock)
        gen = generator(workdir, sock, size, "benchgen2")
        try:
            time.sleep(3)
            tp.stdin.write("start\n")
            tp.stdin.flush()
            t0 = time.time()
            time.sleep(seconds)
            tp.stdin.write("stop\n")
            tp.stdin.flush()
            t1 = time.time()
            time.sleep(1)
        finally:
            gen.terminate()
            gen.wait()
        tp.stdin.write("quit\n")
        tp.stdin.flush()
        tp.wait(timeout=30)
    finally:
        if tp.poll() is None:
            tp.kill()
    with open(out_path) as f:
        text = f.read()
    cycles = float(re.findall(r"CPU cycles/packet=([\d.]+)", text)[-1])
    # The sink's TX count over the start..stop window.
    tx = [int(x) for x in re.findall(r"TX-packets:\s+(\d+)", text)]
    return cycles, (max(tx) if tx else 0) / (t1 - t0) / 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="64,1518,9000")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print("| size (B) | zcswitchd cycles/pkt | zcswitchd Mpps | testpmd cycles/pkt | "
          "testpmd Mpps | cycles ratio zc/testpmd |")
    print("|---:|---:|---:|---:|---:|---:|")
    for size in (int(s) for s in args.sizes.split(",")):
        zc, tp = [], []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory(prefix="zcbench-") as d:
                zc.append(run_zcswitch(d, size, args.seconds))
            with tempfile.TemporaryDirectory(prefix="zcbench-") as d:
                tp.append(run_testpmd(d, size, args.seconds))
        zc_c = statistics.median(c for c, _ in zc)
        zc_p = statistics.median(p for _, p in zc)
        tp_c = statistics.median(c for c, _ in tp)
        tp_p = statistics.median(p for _, p in tp)
        print(f"| {size} | {zc_c:.0f} | {zc_p:.2f} | {tp_c:.0f} | {tp_p:.2f} | "
              f"{zc_c / tp_c:.2f} |", flush=True)


if __name__ == "__main__":
    main()
