"""A real Linux guest under QEMU on a vhost-user port, driven over its serial
console.

The guest is the one scripts/build-guest.sh makes (build/guest, or
ZCSWITCH_GUEST_DIR): a Debian cloud kernel and a busybox initramfs whose /init
configures eth0 from the kernel command line, prints ZCGUEST-READY and runs a
shell on what is typed on ttyS0. QEMU runs under TCG (guests hang under KVM on these machines)
with shared memfd RAM, which vhost-user needs, and `vectors=0`, without which
QEMU 7.2 under TCG crashes when the device starts.
"""
import codecs
import itertools
import os
import re
import shutil
import subprocess
import threading
import time

from zctest import DaemonTestCase

GUEST_DIR = os.environ.get(
    "ZCSWITCH_GUEST_DIR",
    os.path.abspath(os.path.join(os.path.dirname(__file__), "../../build/guest")))
QEMU = "qemu-system-x86_64"


def guest_missing():
    """Why guests cannot run here, or None."""
    for f in ("vmlinuz", "initramfs.gz"):
        if not os.path.exists(os.path.join(GUEST_DIR, f)):
            return f"no {f} in {GUEST_DIR} (scripts/build-guest.sh builds it)"
    if shutil.which(QEMU) is None:
        return f"no {QEMU}"
    return None


class Guest:
    """One QEMU guest with one virtio-net-pci device on a vhost-user socket.

    server=False: QEMU connects to `sock`, where the switch listens.
    server=True: QEMU listens on `sock`, for a switch port in client mode.
    device_opts: extra virtio-net-pci properties, e.g. "guest_tso4=off" to
    withhold a feature from the guest.
    reboot: the guest's `reboot -f` resets the machine (QEMU exits otherwise).
    """

    def __init__(self, workdir, name, sock, mac, ip, server=False, mtu=None, cmdline=(),
                 device_opts=(), reboot=False):
        self.name = name
        self.log_path = os.path.join(workdir, f"guest-{name}.log")
        append = ["console=ttyS0", "panic=-1", f"zc.ip={ip}", *cmdline]
        if mtu is not None:
            append.append(f"zc.mtu={mtu}")
        chardev = f"socket,id=vhost0,path={sock}" + (",server=on,wait=off" if server else "")
        self.cmd = [
            QEMU, "-accel", "tcg", "-m", "256", "-smp", "1",
            "-object", "memory-backend-memfd,id=mem,size=256M,share=on",
            "-numa", "node,memdev=mem",
            "-nographic", "-nodefaults", *([] if reboot else ["-no-reboot"]),
            "-kernel", os.path.join(GUEST_DIR, "vmlinuz"),
            "-initrd", os.path.join(GUEST_DIR, "initramfs.gz"),
            "-append", " ".join(append),
            "-chardev", "stdio,id=console,signal=off", "-serial", "chardev:console",
            "-chardev", chardev,
            "-netdev", "vhost-user,id=net0,chardev=vhost0",
            "-device", ",".join([f"virtio-net-pci,netdev=net0,mac={mac},vectors=0,romfile=",
                                 *device_opts]),
        ]
        self._text = ""
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._markers = itertools.count(1)
        self._log = open(self.log_path, "w")
        self._log.write(" ".join(self.cmd) + "\n")
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        # One reader keeps the whole console (and QEMU's own messages): the
        # log on disk, and the text that run() and wait_ready() search.
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        while True:
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                break
            text = decoder.decode(chunk).replace("\r", "")
            with self._lock:
                self._log.write(text)
                self._log.flush()
                self._text += text
                self._changed.notify_all()
        with self._lock:
            self._changed.notify_all()

    def console(self):
        """Everything the console printed so far."""
        with self._lock:
            return self._text

    def _wait_for(self, pattern, start, timeout, what):
        """Waits for `pattern` in the console text after offset `start`."""
        regex = re.compile(pattern, re.S)
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                m = regex.search(self._text, start)
                if m:
                    return m
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    break
                self._changed.wait(min(left, 1.0))
        state = ("running" if self.proc.poll() is None
                 else f"exited with {self.proc.returncode}")
        raise AssertionError(f"guest {self.name}: {what} not seen after {timeout} s "
                             f"(QEMU {state}); console:\n{self.console()[-6000:]}")

    def console_len(self):
        """Where the console text ends now: wait_ready(after=...) looks past it."""
        with self._lock:
            return len(self._text)

    def wait_ready(self, timeout=180, after=0):
        """Waits for /init's ready line (printed after console offset
        `after`: a second boot's); returns it. Boots take 3 s on an idle
        machine and much longer on a loaded one."""
        m = self._wait_for(r"ZCGUEST-(READY|FAILED)([^\n]*)\n", after, timeout, "ZCGUEST-READY")
        if m.group(1) != "READY":
            raise AssertionError(f"guest {self.name}: {m.group(0)}{self.console()[-6000:]}")
        return m.group(0).strip()

    def run(self, cmd, timeout=60):
        """Runs a shell command line in the guest; returns (exit code, output).

        The guest's shell reads the console, and so do commands it runs: a
        command that reads its input must be given one (`< /dev/null`), or it
        eats the command lines that follow. The markers are written with an
        empty string in the middle, so that an echo of the command line (the
        console does not echo, but a human may turn it on) never matches them.
        """
        n = next(self._markers)
        with self._lock:
            start = len(self._text)
        line = f'echo "ZCB""EGIN-{n}"; {{ {cmd}\n}} 2>&1; echo "ZCE""ND-{n}-$?"\n'
        try:
            self.proc.stdin.write(line.encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise AssertionError(f"guest {self.name}: QEMU is gone; console:\n"
                                 f"{self.console()[-6000:]}") from None
        m = self._wait_for(rf"ZCBEGIN-{n}\n(.*?)ZCEND-{n}-(\d+)\n", start, timeout,
                           f"the end of `{cmd}`")
        return int(m.group(2)), m.group(1)

    def close(self):
        """Kills QEMU and reaps it."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._reader.join(timeout=5)
        self.proc.stdin.close()
        self.proc.stdout.close()
        with self._lock:
            self._log.close()


def tcp_transfer(src, dst, dst_ip, nbytes, port=5001):
    """Sends `nbytes` of random data from guest `src` to guest `dst` over TCP
    with busybox nc. Returns (sha256 sent, sha256 received, bytes received,
    the sender's `time` line)."""
    rc, out = src.run(f"head -c {nbytes} /dev/urandom > /tmp/tx && sha256sum /tmp/tx")
    if rc != 0:
        raise AssertionError(f"guest {src.name}: {out}")
    sent = out.split()[0]
    # busybox nc exits at the end of its input after shutting its sending
    # half down, and the sender's nc exits when its peer does: the listener's
    # input must stay open, and the sender's must end.
    rc, out = dst.run(f"sleep 600 | nc -l -p {port} > /tmp/rx &")
    if rc != 0:
        raise AssertionError(f"guest {dst.name}: {out}")
    # The listener runs in the background: connect only once it listens
    # (state 0A; busybox nc may listen on IPv6), or the connection may be
    # refused.
    rc, out = dst.run(f"(for i in $(seq 100); do grep -q ':{port:04X} [0-9A-F]*:0000 0A' "
                      f"/proc/net/tcp /proc/net/tcp6 && exit 0; sleep 0.1; done; exit 1)",
                      timeout=30)
    if rc != 0:
        raise AssertionError(f"guest {dst.name}: nc is not listening on {port}: {out}")
    rc, timing = src.run(f"time nc {dst_ip} {port} < /tmp/tx", timeout=300)
    if rc != 0:
        raise AssertionError(f"guest {src.name}: nc: {timing}")
    rc, out = dst.run("while pidof nc > /dev/null; do sleep 0.2; done; "
                      "sha256sum /tmp/rx; wc -c < /tmp/rx", timeout=60)
    m = re.fullmatch(r"([0-9a-f]{64})  /tmp/rx\n\s*(\d+)\n", out)
    if rc != 0 or m is None:
        raise AssertionError(f"guest {dst.name}: {out}")
    return sent, m.group(1), int(m.group(2)), " ".join(timing.split())


class GuestTestCase(DaemonTestCase):
    """A daemon test with guests, closed after the test. `make build` builds
    the guest, so a missing one is a failure, not a skip."""

    def setUp(self):
        missing = guest_missing()
        if missing:
            self.fail(missing)
        super().setUp()
        self.guests = []
        self.t0 = time.monotonic()

    def tearDown(self):
        for g in self.guests:
            g.close()
        super().tearDown()

    def showing_logs(self, body):
        """Runs body(); if it fails, prints what the guests and the daemon said
        (the working directory goes with the test)."""
        try:
            body()
        except BaseException:
            for g in self.guests:
                print(f"--- console of guest {g.name} ({g.log_path})\n{g.console()[-8000:]}")
            for d in self.daemons:
                print(f"--- zcswitchd stderr\n{d.stderr()}")
            raise

    def step(self, what):
        print(f"[{time.monotonic() - self.t0:6.1f} s] {what}", flush=True)

    def boot(self, name, sock, mac, ip, **kwargs):
        g = Guest(self.workdir, name, sock, mac, ip, **kwargs)
        self.guests.append(g)
        return g

    def port_stats(self, d):
        return {p["name"]: p for p in d.control("show", "port", "stats")["data"]["ports"]}
