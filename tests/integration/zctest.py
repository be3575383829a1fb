"""Helpers for integration tests: start the real zcswitchd, scrape it, stop it.

Each test runs in its own temporary directory (the working directory of the
daemon, so example configs' relative pcap paths land there) with its own DPDK
file prefix, so tests can run side by side.
"""
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

BIN = os.environ.get("ZCSWITCH_BIN", os.path.join(os.path.dirname(__file__), "../../build/bin"))
SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
ZCSWITCHD = os.path.join(BIN, "zcswitchd")
PCAPTOOL = os.path.join(BIN, "zcswitch-pcaptool")


def pcaptool(*args, check=True):
    """Runs zcswitch-pcaptool; returns (exit code, stdout)."""
    r = subprocess.run([PCAPTOOL, *map(str, args)], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"pcaptool {args}: {r.returncode}\n{r.stdout}{r.stderr}")
    return r.returncode, r.stdout


def pcap_frames(path):
    """The frames of a little-endian pcap file (what net_pcap, in
    nanoseconds, and zcswitch-pcaptool, in microseconds, write), as bytes,
    in order."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] not in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        raise AssertionError(f"{path}: not a little-endian pcap file")
    frames, off = [], 24
    while off < len(data):
        caplen = struct.unpack_from("<I", data, off + 8)[0]
        frames.append(data[off + 16:off + 16 + caplen])
        off += 16 + caplen
    return frames


def parse_metrics(text):
    """Prometheus text -> {(name, frozenset(labels)): value}."""
    out = {}
    line_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
    label_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = line_re.match(line)
        if not m:
            raise AssertionError(f"unparsable metrics line: {line!r}")
        labels = frozenset(label_re.findall(m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def control(path, *words, raw=None, timeout=10):
    """Sends one control request (the command words, or a raw line) to the
    control socket at `path` and returns the decoded reply."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        line = raw if raw is not None else json.dumps({"command": list(words)}) + "\n"
        s.sendall(line.encode() if isinstance(line, str) else line)
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            reply += chunk
    return json.loads(reply)


class Daemon:
    """A zcswitchd process started on a config, in a working directory.

    netns: the name of a network namespace (`ip netns add`) to run it in; its
    metrics endpoint is then scraped from inside that namespace.
    """

    def __init__(self, config_path, workdir, extra_flags=(), eal_extra=(), netns=None):
        self.workdir = workdir
        self.netns = netns
        self.stdout_path = os.path.join(workdir, "zcswitchd.out")
        self.stderr_path = os.path.join(workdir, "zcswitchd.err")
        prefix = f"zctest{os.getpid()}_{int(time.time() * 1000) % 100000}"
        self.control_path = os.path.join(workdir, "zcswitch.sock")
        # `ip netns exec` execs the command itself: the process is zcswitchd.
        launcher = ["ip", "netns", "exec", netns] if netns else []
        self.cmd = [*launcher, ZCSWITCHD, f"--config={config_path}", "--metrics_address=127.0.0.1:0",
                    f"--control_socket={self.control_path}", *extra_flags, "--", f"--file-prefix={prefix}", *eal_extra]
        with open(self.stdout_path, "w") as out, open(self.stderr_path, "w") as err:
            self.proc = subprocess.Popen(self.cmd, cwd=workdir, stdout=out, stderr=err)
        self.metrics_port = None

    def stderr(self):
        with open(self.stderr_path) as f:
            return f.read()

    def stdout(self):
        with open(self.stdout_path) as f:
            return f.read()

    def wait_ready(self, timeout=30):
        """Waits until forwarding has started; returns the metrics port."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"zcswitchd exited with {self.proc.returncode}:\n"
                                     f"{self.stderr()}")
            err = self.stderr()
            m = re.search(r"metrics on http://127\.0\.0\.1:(\d+)/metrics", err)
            if m and "zcswitchd: forwarding" in err:
                self.metrics_port = int(m.group(1))
                return self.metrics_port
            time.sleep(0.1)
        raise AssertionError(f"zcswitchd not ready after {timeout}s:\n{self.stderr()}")

    def scrape(self):
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        if self.netns:
            # 127.0.0.1 is the namespace's own loopback.
            fetch = ("import sys, urllib.request; "
                     "sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())")
            r = subprocess.run(["ip", "netns", "exec", self.netns, sys.executable, "-c", fetch, url],
                               capture_output=True, text=True, timeout=30)
            if r.returncode != 0:
                raise AssertionError(f"scraping {url} in netns {self.netns}: {r.stderr}")
            return parse_metrics(r.stdout)
        with urllib.request.urlopen(url, timeout=5) as r:
            return parse_metrics(r.read().decode())

    def metric(self, name, **labels):
        return self.scrape().get((name, frozenset(labels.items())))

    def wait_metric(self, name, at_least, timeout=30, **labels):
        """Polls /metrics until `name{labels}` reaches `at_least`; returns it."""
        deadline = time.time() + timeout
        value = None
        while time.time() < deadline:
            value = self.metric(name, **labels)
            if value is not None and value >= at_least:
                return value
            time.sleep(0.2)
        raise AssertionError(f"{name}{labels} = {value}, wanted >= {at_least} within "
                             f"{timeout}s\n{self.stderr()}")

    def control(self, *words, raw=None, timeout=10):
        return control(self.control_path, *words, raw=raw, timeout=timeout)

    def footprint(self):
        """(open fds, shared mappings): what a leaked connection or guest
        memory table would leave behind. A guest's memory is mapped shared
        (its memfd or hugepage file); private anonymous mappings are the heap's,
        which grows by itself (ASan's allocator and stack depot in steps of
        64 KiB), and would make a leak check flaky without catching one."""
        fds = len(os.listdir(f"/proc/{self.proc.pid}/fd"))
        with open(f"/proc/{self.proc.pid}/maps") as f:
            return fds, sum(1 for line in f if line.split()[1][3] == "s")

    def steady_footprint(self, timeout=5):
        """The footprint once two readings half a second apart agree: a
        baseline taken while the daemon still holds a just-closed control
        connection would be one fd too high."""
        deadline = time.time() + timeout
        last = self.footprint()
        while time.time() < deadline:
            time.sleep(0.5)
            now = self.footprint()
            if now == last:
                return now
            last = now
        raise AssertionError(f"zcswitchd's fds and mappings keep changing: {last}")

    def settled_footprint(self, baseline, timeout=5):
        """The footprint once it is back at `baseline`, or after `timeout`: a
        scrape's connection or a reconnect attempt may hold an fd for a
        moment; a leak holds it for good."""
        deadline = time.time() + timeout
        while self.footprint() != baseline and time.time() < deadline:
            time.sleep(0.2)
        return self.footprint()

    def memory_kb(self):
        """VmRSS, VmSize, RssAnon and RssShmem (kB) from /proc/PID/status."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f)
        return {k: int(fields[k].split()[0]) for k in ("VmRSS", "VmSize", "RssAnon", "RssShmem")}

    def has_asan(self):
        with open(f"/proc/{self.proc.pid}/maps") as f:
            return "libasan" in f.read()

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Signals the daemon and returns its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"zcswitchd ignored {sig!r} for {timeout}s")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def final_port_stats(stdout):
    """The 'Final port statistics' table -> {port: {column: int}}."""
    lines = stdout.split("Final port statistics\n", 1)[1].splitlines()
    header = lines[0].split()
    ports = {}
    for line in lines[1:]:
        if not line or line.startswith(("Final", "drops")):
            break
        fields = line.split()
        ports[fields[0]] = {h: (int(v) if v.isdigit() else v)
                            for h, v in zip(header[1:], fields[1:])}
    return ports


# io from a net_null generator (64 B frames, as fast as it goes) into a
# net_null sink: traffic that always moves, for the control-plane tests.
GENERATOR_TO_SINK = """
eal: [-l, "0,1", --no-huge, -m, "512", --no-pci]
forwarding: {mode: io, lcores: [1], pairs: [[generator, sink]]}
ports:
  - {name: generator, type: ethdev, devargs: "net_null0,size=64"}
  - {name: sink, type: ethdev, devargs: "net_null1,no-rx=1"}
"""


class ControlCommands:
    """Control-socket helpers for a test case whose running daemon is self.d."""

    def ok(self, *words):
        reply = self.d.control(*words)
        self.assertTrue(reply["ok"], reply)
        return reply

    def refused(self, expected, *words):
        reply = self.d.control(*words)
        self.assertFalse(reply["ok"], reply)
        self.assertIn(expected, reply["error"])

    def ports(self):
        return {p["name"]: p for p in self.ok("show", "port", "stats")["data"]["ports"]}

    def growth(self, seconds=0.3):
        """What each port's counters did over `seconds`: packets, link_down
        drops, and whether its link is up at the end."""
        before = self.ports()
        time.sleep(seconds)
        after = self.ports()
        return {n: {k: after[n][k] - before[n][k] for k in ("rx_packets", "tx_packets")}
                | {"link_down": after[n]["drops"]["link_down"] - before[n]["drops"]["link_down"],
                   "link_up": after[n]["link_up"]}
                for n in after if n in before}


class DaemonTestCase(unittest.TestCase):
    """A test case with a fresh working directory and daemons killed after."""

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="zctest-")
        self.workdir = self._tmp.name
        self.daemons = []

    def tearDown(self):
        for d in self.daemons:
            d.kill()
        self._tmp.cleanup()

    def write(self, name, text):
        path = os.path.join(self.workdir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def start(self, config_path, **kwargs):
        d = Daemon(config_path, self.workdir, **kwargs)
        self.daemons.append(d)
        return d

    def run_daemon(self, args, timeout=60):
        """Runs zcswitchd to completion; returns CompletedProcess."""
        return subprocess.run([ZCSWITCHD, *args], cwd=self.workdir, capture_output=True,
                              text=True, timeout=timeout)


class Testpmd:
    """A dpdk-testpmd process: the real DPDK virtio-user front-end, or a
    pcap replayer, driven through its interactive prompt on stdin."""

    def __init__(self, workdir, name, vdevs, args=(), main_lcore=1, memory_mb=1024,
                 mbufs=16384):
        self.out_path = os.path.join(workdir, f"testpmd-{name}.out")
        prefix = f"tp{name}{os.getpid()}"
        cmd = ["dpdk-testpmd", "-l", "0,1", "--main-lcore", str(main_lcore), "--no-huge",
               "-m", str(memory_mb), "--no-pci", "--single-file-segments", "--iova-mode=va",
               f"--file-prefix={prefix}"]
        for v in vdevs:
            cmd += ["--vdev", v]
        cmd += ["--", "-i", f"--total-num-mbufs={mbufs}", *args]
        with open(self.out_path, "w") as out:
            self.proc = subprocess.Popen(cmd, cwd=workdir, stdin=subprocess.PIPE, stdout=out,
                                         stderr=subprocess.STDOUT, text=True)

    def send(self, *commands):
        for c in commands:
            self.proc.stdin.write(c + "\n")
        self.proc.stdin.flush()

    def output(self):
        with open(self.out_path) as f:
            return f.read()

    def quit(self, timeout=30):
        if self.proc.poll() is None:
            self.send("stop", "quit")
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdin.close()
