#!/usr/bin/env python3
"""Benchmark: a guest's transmit path through a vhost-user port, zcswitchd vs
dpdk-testpmd's net_vhost, on the same cores in the same run.

For each packet size, a DPDK virtio-user generator (testpmd txonly, forwarding
lcore on CPU 0) sends as fast as it can into a vhost-user socket. The switch
under test forwards to a net_null sink with its forwarding lcore on CPU 1:
  - zcswitchd, in io mode and in l2switch mode (learning the source, looking
    up the destination): cycles per packet = busy TSC cycles / packets of its lcore,
    over a window after warm-up, read from its control socket;
  - dpdk-testpmd --vdev net_vhost0 with --record-core-cycles, which prints
    CPU cycles/packet when stopped.
Packets per second are the sink's over the same window. The machine is shared
and noisy: ratios within one run mean more than any single number.

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


# zcswitchd's modes under test. In l2switch mode the generator's frames (to
# testpmd's default peer 02:00:00:00:00:00) find a static FDB entry for the
# sink: one source learning and one destination lookup per packet, no flood.
ZC_FORWARDING = {
    "io": "forwarding: {mode: io, lcores: [1], pairs: [[vm, sink]], tx_retries: 0}",
    "l2switch": "forwarding: {mode: l2switch, lcores: [1], tx_retries: 0}\n"
                "fdb: {static: [{mac: '02:00:00:00:00:00', port: sink}]}",
}


def run_zcswitch(workdir, size, seconds, mode):
    sock = os.path.join(workdir, "vm.sock")
    ctl = os.path.join(workdir, "ctl.sock")
    config = os.path.join(workdir, "zc.yaml")
    with open(config, "w") as f:
        f.write(f"""
eal: [-l, "0,1", --main-lcore, "0", {", ".join(EAL_COMMON)}, --file-prefix=benchzc]
{ZC_FORWARDING[mode]}
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
    print("| size (B) | zcswitchd io cycles/pkt | Mpps | zcswitchd l2switch cycles/pkt | Mpps | "
          "testpmd io cycles/pkt | Mpps | cycles ratio io/testpmd | l2switch/testpmd |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in (int(s) for s in args.sizes.split(",")):
        runs = {"io": [], "l2switch": [], "testpmd": []}
        for _ in range(args.runs):
            for mode in ZC_FORWARDING:
                with tempfile.TemporaryDirectory(prefix="zcbench-") as d:
                    runs[mode].append(run_zcswitch(d, size, args.seconds, mode))
            with tempfile.TemporaryDirectory(prefix="zcbench-") as d:
                runs["testpmd"].append(run_testpmd(d, size, args.seconds))
        cycles = {k: statistics.median(c for c, _ in v) for k, v in runs.items()}
        mpps = {k: statistics.median(p for _, p in v) for k, v in runs.items()}
        print(f"| {size} | {cycles['io']:.0f} | {mpps['io']:.2f} | {cycles['l2switch']:.0f} | "
              f"{mpps['l2switch']:.2f} | {cycles['testpmd']:.0f} | {mpps['testpmd']:.2f} | "
              f"{cycles['io'] / cycles['testpmd']:.2f} | "
              f"{cycles['l2switch'] / cycles['testpmd']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
