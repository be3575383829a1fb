#!/usr/bin/env python3
"""Benchmark: a guest's transmit path through a vhost-user port, zcswitchd with
zero-copy on and off vs dpdk-testpmd's net_vhost, on the same cores in the same run.

For each packet size, a DPDK virtio-user generator (testpmd txonly, forwarding
lcore on CPU 0) sends as fast as it can into a vhost-user socket. The switch
under test forwards to a net_null sink with its forwarding lcore on CPU 1.
Modes (--modes, any subset, in this order):
  - zc: zcswitchd, io mode, `zcopy: {enabled: true, copy_threshold: 0}`: every
    packet longer than the header copy takes the zero-copy path (net_null
    frees what it takes, so the orphan rule lets references go to it);
  - copy: the same with `zcopy: {enabled: false}`: every packet is copied;
  - copy_unordered: copy, with a generator that does not take IN_ORDER (a port
    that may lend does not offer it): what that costs, apart from lending;
  - testpmd: dpdk-testpmd --vdev net_vhost0 with --record-core-cycles, which
    prints CPU cycles/packet when stopped;
  - l2switch: zcswitchd in l2switch mode (learning the source, looking up the
    destination) with the default zcopy settings (on, copy_threshold 1440).
For zcswitchd, cycles per packet = busy TSC cycles / packets of its lcore over
a window after warm-up, read from its control socket. Packets per second are
the sink's over the same window. The machine is shared and noisy: ratios
within one run mean more than any single number.

Usage: perf/bench_vhost_io.py [--sizes 64,256,512,1518,9000] [--seconds 8]
           [--runs 3] [--modes zc,copy,testpmd,l2switch] [--plot out.svg]
Prints a Markdown table (medians over runs), then the 9000 B / 1518 B ratio and
the break-even size of zero-copy against copy.
"""
import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ZCSWITCHD = os.path.join(ROOT, "build", "bin", "zcswitchd")
EAL_COMMON = ["--no-huge", "-m", "1024", "--no-pci"]


def generator(workdir, sock, size, prefix, in_order=True):
    """testpmd virtio-user txonly on lcore 0 (main lcore 1); without
    `in_order`, it does not take VIRTIO_F_IN_ORDER even when offered."""
    jumbo = ["--mbuf-size=10240", "--max-pkt-len=9600"] if size > 1518 else []
    cmd = ["dpdk-testpmd", "-l", "0,1", "--main-lcore", "1", *EAL_COMMON,
           "--single-file-segments", "--iova-mode=va", f"--file-prefix={prefix}",
           "--vdev", f"net_virtio_user0,path={sock},queue_size=1024,in_order={int(in_order)}",
           "--",
           *jumbo, "--forward-mode=txonly", f"--txpkts={size}", "--stats-period=1000",
           "--total-num-mbufs=32768"]
    with open(os.path.join(workdir, "generator.out"), "w") as out:
        return subprocess.Popen(cmd, cwd=workdir, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT)


def tail(workdir, name, lines=15):
    try:
        with open(os.path.join(workdir, name), errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no output)\n"


class NoTraffic(Exception):
    """The window saw no packets: the generator or the switch did not start."""


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


# zcswitchd's modes under test: forwarding and zcopy sections. In l2switch mode
# the generator's frames (to testpmd's default peer 02:00:00:00:00:00) find a
# static FDB entry for the sink: one source learning and one destination
# lookup per packet, no flood. l2switch keeps the default zcopy settings.
IO = "forwarding: {mode: io, lcores: [1], pairs: [[vm, sink]], tx_retries: 0}"
ZC_MODES = {
    "zc": IO + "\nzcopy: {enabled: true, copy_threshold: 0}",
    "copy": IO + "\nzcopy: {enabled: false}",
    # Copy mode with a guest that does not take IN_ORDER, as with a port that
    # may lend: what not offering IN_ORDER costs, apart from lending.
    "copy_unordered": IO + "\nzcopy: {enabled: false}",
    "l2switch": "forwarding: {mode: l2switch, lcores: [1], tx_retries: 0}\n"
                "fdb: {static: [{mac: '02:00:00:00:00:00', port: sink}]}",
}
MODES = ["zc", "copy", "copy_unordered", "testpmd", "l2switch"]
LABELS = {"zc": "zero-copy", "copy": "copy", "copy_unordered": "copy without IN_ORDER",
          "testpmd": "testpmd", "l2switch": "l2switch"}


def run_zcswitch(workdir, size, seconds, mode):
    sock = os.path.join(workdir, "vm.sock")
    ctl = os.path.join(workdir, "ctl.sock")
    config = os.path.join(workdir, "zc.yaml")
    with open(config, "w") as f:
        f.write(f"""
eal: [-l, "0,1", --main-lcore, "0", {", ".join(EAL_COMMON)}, --file-prefix=benchzc]
{ZC_MODES[mode]}
ports:
  - {{name: vm, type: vhost-user, socket: "{sock}"}}
  - {{name: sink, type: ethdev, devargs: "net_null0,no-rx=1"}}
""")
    with open(os.path.join(workdir, "zcswitchd.out"), "w") as out:
        zc = subprocess.Popen([ZCSWITCHD, f"--config={config}", "--metrics_address=",
                               f"--control_socket={ctl}"], cwd=workdir,
                              stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(sock)
        gen = generator(workdir, sock, size, "benchgen", in_order=mode != "copy_unordered")
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
    if packets <= 0:
        raise NoTraffic(f"zcswitchd {mode} {size} B forwarded nothing; generator:\n"
                        + tail(workdir, "generator.out"))
    busy = b["busy_cycles"] - a["busy_cycles"]
    idle = b["idle_cycles"] - a["idle_cycles"]
    if os.environ.get("BENCH_VERBOSE"):
        print(f"  zcswitchd {mode} {size} B: lcore busy "
              f"{100 * busy / max(busy + idle, 1):.0f}%", file=sys.stderr, flush=True)
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
    found = re.findall(r"CPU cycles/packet=([\d.]+)", text)
    if not found:  # testpmd prints no cycles when it forwarded nothing
        raise NoTraffic(f"testpmd {size} B forwarded nothing; generator:\n"
                        + tail(workdir, "generator.out") + "testpmd:\n"
                        + tail(workdir, "testpmd-backend.out"))
    cycles = float(found[-1])
    # The sink's TX count over the start..stop window.
    tx = [int(x) for x in re.findall(r"TX-packets:\s+(\d+)", text)]
    return cycles, (max(tx) if tx else 0) / (t1 - t0) / 1e6


def measure(mode, size, seconds, attempts=2):
    """One run of one mode; a run that saw no traffic is said and tried again."""
    for attempt in range(1, attempts + 1):
        with tempfile.TemporaryDirectory(prefix="zcbench-") as d:
            try:
                if mode == "testpmd":
                    return run_testpmd(d, size, seconds)
                return run_zcswitch(d, size, seconds, mode)
            except NoTraffic as e:
                if attempt == attempts:
                    raise
                print(f"(attempt {attempt} failed, trying again) {e}", file=sys.stderr,
                      flush=True)


def ratio(cycles, num, den):
    """'1.23', or '–' when a mode was not measured."""
    if num in cycles and den in cycles and cycles[den] > 0:
        return f"{cycles[num] / cycles[den]:.2f}"
    return "–"


def break_even(sizes, zc, copy):
    """The line saying where zero-copy's cycles per packet go below copy's.

    zc, copy: {size: median cycles per packet}. The break-even size is the
    smallest measured size where zc < copy; between it and the measured size
    before it, the crossing is interpolated linearly in size."""
    below = [s for s in sizes if zc[s] < copy[s]]
    if not below:
        return ("break-even: zero-copy is not below copy at any measured size "
                f"({', '.join(str(s) for s in sizes)} B)")
    first = below[0]
    i = sizes.index(first)
    if i == 0:
        line = (f"break-even: zero-copy is below copy already at the smallest measured "
                f"size, {first} B; no crossing within the measured range")
    else:
        s0, s1 = sizes[i - 1], first
        d0, d1 = zc[s0] - copy[s0], zc[s1] - copy[s1]  # d0 >= 0 > d1
        cross = s0 + (s1 - s0) * d0 / (d0 - d1)
        line = (f"break-even: zero-copy is below copy from {s1} B on (measured); "
                f"interpolated linearly between {s0} B and {s1} B, the crossing is at "
                f"about {cross:.0f} B")
    above = [s for s in sizes[i + 1:] if zc[s] >= copy[s]]
    if above:
        line += (f" (but not below at {', '.join(str(s) for s in above)} B: "
                 "noise, or no steady crossing)")
    return line


def plot(path, sizes, cycles_by_size, modes):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"--plot: matplotlib is not installed (Debian: python3-matplotlib); "
              f"{path} not written", file=sys.stderr)
        return
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for mode in modes:
        ax.plot(sizes, [cycles_by_size[s][mode] for s in sizes], marker="o",
                label=LABELS[mode])
    ax.set_xscale("log")
    ax.set_xticks(sizes)
    ax.set_xticklabels([str(s) for s in sizes])
    ax.minorticks_off()
    ax.set_xlabel("packet size (B, log scale)")
    ax.set_ylabel("cycles per packet (forwarding lcore)")
    ax.set_title("vhost-user guest TX to net_null: medians")
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    print(f"plot: {path}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="64,256,512,1518,9000",
                        help="packet sizes in bytes, comma-separated")
    parser.add_argument("--seconds", type=float, default=8,
                        help="measuring window per run, after 3 s of warm-up")
    parser.add_argument("--runs", type=int, default=3, help="runs per mode and size")
    parser.add_argument("--modes", default=",".join(MODES),
                        help="comma-separated subset of " + ",".join(MODES))
    parser.add_argument("--plot", metavar="OUT.svg",
                        help="plot cycles/packet against size for zc, copy and testpmd "
                             "(needs matplotlib)")
    args = parser.parse_args()
    sizes = sorted({int(s) for s in args.sizes.split(",")})
    modes = [m for m in args.modes.split(",") if m]
    unknown = [m for m in modes if m not in MODES]
    if unknown or not modes:
        parser.error(f"--modes: unknown {','.join(unknown)} (choose from {','.join(MODES)})")
    modes = [m for m in MODES if m in modes]  # fixed column order
    ratios = [(n, d) for n, d in (("zc", "copy"), ("zc", "copy_unordered"), ("zc", "testpmd"),
                                  ("l2switch", "testpmd"))
              if n in modes and d in modes]

    header = ["size (B)"]
    for m in modes:
        header += [f"{LABELS[m]} cycles/pkt", f"{LABELS[m]} Mpps"]
    header += [f"{n}/{d}" for n, d in ratios]
    print("| " + " | ".join(header) + " |")
    print("|" + "---:|" * len(header), flush=True)

    cycles_by_size = {}
    for size in sizes:
        runs = {m: [] for m in modes}
        for _ in range(args.runs):
            for mode in modes:
                runs[mode].append(measure(mode, size, args.seconds))
        cycles = {k: statistics.median(c for c, _ in v) for k, v in runs.items()}
        mpps = {k: statistics.median(p for _, p in v) for k, v in runs.items()}
        cycles_by_size[size] = cycles
        row = [str(size)]
        for m in modes:
            row += [f"{cycles[m]:.0f}", f"{mpps[m]:.2f}"]
        row += [ratio(cycles, n, d) for n, d in ratios]
        print("| " + " | ".join(row) + " |", flush=True)

    print()
    if 1518 in sizes and 9000 in sizes:
        big = {m: ratio({"a": cycles_by_size[9000][m], "b": cycles_by_size[1518][m]}, "a", "b")
               for m in modes}
        first = "zc" if "zc" in modes else modes[0]
        others = ", ".join(f"{LABELS[m]} {big[m]}" for m in modes if m != first)
        print(f"9000 B / 1518 B cycles per packet: {LABELS[first]} {big[first]}"
              + (f" ({others})" if others else ""))
    if "zc" in modes and "copy" in modes:
        print(break_even(sizes, {s: cycles_by_size[s]["zc"] for s in sizes},
                         {s: cycles_by_size[s]["copy"] for s in sizes}))
    print(f"(medians of {args.runs} run(s), {args.seconds:g} s windows; cycles are the "
          "forwarding lcore's per packet)", flush=True)

    if args.plot:
        plot(args.plot, sizes, cycles_by_size,
             [m for m in ("zc", "copy", "testpmd") if m in modes])


if __name__ == "__main__":
    main()
