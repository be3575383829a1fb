"""zcswitch-cli against a running zcswitchd with real ports (net_pcap and
net_null): every command the daemon lists in `help`, as text and as JSON;
bad commands and bad flags; no daemon to talk to; the interactive prompt
(completion, history, Ctrl-C, quit) and `zcswitchd -i`, through a
pseudo-terminal."""
import fcntl
import json
import os
import select
import signal
import subprocess
import termios
import time
import unittest
import urllib.request

from zctest import BIN, ZCSWITCHD, DaemonTestCase, pcaptool

CLI = os.path.join(BIN, "zcswitch-cli")
PROMPT = b"zcswitch> "
STREAM_SRC = "02:00:00:00:00:0a"
STREAM_DST = "02:00:00:00:00:99"
STATIC_MAC = "02:00:00:00:00:42"

# `stream` replays one unicast flow for ever (its source is learned, its
# destination is a static entry on `sink`); `once` sends 8 broadcasts and
# captures what is flooded to it; `vm` is a vhost-user port no front-end
# has connected to.
CONFIG = f"""
eal: [-l, "0,1", --no-huge, -m, "512", --no-pci]
forwarding: {{mode: l2switch, lcores: [1], pairs: [[stream, sink]]}}
fdb:
  static: [{{mac: "{STREAM_DST}", vlan: 0, port: sink}}]
ports:
  - {{name: stream, type: ethdev, devargs: "net_pcap0,rx_pcap=stream.pcap,infinite_rx=1"}}
  - {{name: once, type: ethdev, devargs: "net_pcap1,rx_pcap=once.pcap,tx_pcap=once-out.pcap"}}
  - {{name: sink, type: ethdev, devargs: "net_null0,no-rx=1"}}
  - {{name: vm, type: vhost-user, socket: vm.sock, mode: server}}
"""


class Terminal:
    """A process on a pseudo-terminal, its controlling terminal (Ctrl-C
    would be SIGINT): what a person at a keyboard sees and types."""

    def __init__(self, cmd, cwd, env):
        self.master, slave = os.openpty()
        self.proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=slave, stdout=slave,
                                     stderr=slave, start_new_session=True,
                                     preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        os.close(slave)
        self.seen = b""  # everything read so far
        self.unread = b""  # what expect() has not consumed yet

    def type(self, keys):
        os.write(self.master, keys.encode())

    def _read(self, timeout):
        r, _, _ = select.select([self.master], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: the process has closed the terminal
            return False
        self.seen += data
        self.unread += data
        return bool(data)

    def expect(self, text, timeout=20):
        """Waits for `text` (bytes) and returns the output up to its end."""
        deadline = time.time() + timeout
        while text not in self.unread:
            left = deadline - time.time()
            if left <= 0 or (not self._read(left) and self.proc.poll() is not None):
                raise AssertionError(f"no {text!r} on the terminal; it shows:\n"
                                     f"{self.unread.decode(errors='replace')}")
        end = self.unread.index(text) + len(text)
        out, self.unread = self.unread[:end], self.unread[end:]
        return out

    def prompt(self, timeout=20):
        """Waits for the prompt and for libedit to be reading: it sets the
        terminal's editing modes only then, and keys typed before are
        handled by the terminal (echoed twice, Ctrl-C a signal)."""
        out = self.expect(PROMPT, timeout)
        deadline = time.time() + 5
        while self.terminal_modes() & termios.ICANON:
            if time.time() > deadline:
                raise AssertionError("the prompt is shown but the terminal is not in editing mode")
            time.sleep(0.01)
        return out

    def wait(self, timeout=30):
        """The exit code, once the process has ended; reads what it printed."""
        code = self.proc.wait(timeout=timeout)
        while self._read(0.2):
            pass
        return code

    def terminal_modes(self):
        return termios.tcgetattr(self.master)[3]

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


class CliTestCase(DaemonTestCase):
    def setUp(self):
        super().setUp()
        pcaptool("gen", f"--src={STREAM_SRC}", f"--dst={STREAM_DST}",
                 f"{self.workdir}/stream.pcap", 64, 64)
        pcaptool("gen", "--src=02:00:00:00:00:0b", "--dst=ff:ff:ff:ff:ff:ff",
                 f"{self.workdir}/once.pcap", 8, 64)
        self.config = self.write("zc.yaml", CONFIG)
        # The prompt's history goes to $HOME/.zcswitch_history.
        self.env = dict(os.environ, HOME=self.workdir, TERM="xterm")

    def cli(self, *args, socket=None):
        return subprocess.run([CLI, f"--socket={socket or self.d.control_path}", *args],
                              capture_output=True, text=True, timeout=30, env=self.env)

    def terminal(self, cmd):
        t = Terminal(cmd, self.workdir, self.env)
        self.addCleanup(t.close)
        return t


class OneShotTest(CliTestCase):
    def setUp(self):
        super().setUp()
        self.d = self.start(self.config)
        self.d.wait_ready()

    def ok(self, *words):
        """Runs a command as text and as JSON; returns (text, data)."""
        text = self.cli(*words)
        self.assertEqual(text.returncode, 0, text.stderr)
        self.assertEqual(text.stderr, "")
        js = self.cli("--json", *words)
        self.assertEqual(js.returncode, 0, js.stderr)
        return text.stdout, json.loads(js.stdout)

    def refused(self, expected, *words):
        r = self.cli(*words)
        self.assertEqual(r.returncode, 1, r)
        self.assertEqual(r.stdout, "")
        self.assertIn(expected, r.stderr)
        return r.stderr

    def ports(self):
        return {p["name"]: p for p in json.loads(self.cli("--json", "show", "port", "stats").stdout)["ports"]}

    def sink_growth(self, seconds=0.3):
        before = self.ports()["sink"]["tx_packets"]
        time.sleep(seconds)
        return self.ports()["sink"]["tx_packets"] - before

    # One check per command the daemon has; each leaves the daemon as it
    # found it.

    def check_help(self):
        text, data = self.ok("help")
        for c in data["commands"]:
            self.assertIn(" ".join(c["words"]), text)
            self.assertIn(c["help"], text)
        text, data = self.ok("help", "port")
        self.assertEqual({c["words"][1] for c in data["commands"]}, {"add", "del", "start", "stop"})
        self.assertNotIn("show", text)
        self.refused("no command starts with \"frob\"", "help", "frob")
        # An incomplete command lists how it goes on, not every command.
        err = self.refused("incomplete command \"show port\"", "show", "port")
        self.assertIn("show port info", err)
        self.assertNotIn("shutdown", err)

    def check_show_port_stats(self):
        text, data = self.ok("show", "port", "stats")
        # The table, then drops by reason for ports that have any (vm: link_down).
        header, *rows = text.splitlines()[:5]
        self.assertEqual(header.split()[:4], ["port", "link", "rx-packets", "rx-bytes"])
        self.assertEqual([r.split()[0] for r in rows], ["stream", "once", "sink", "vm"])
        # Columns line up: every row as long as the header.
        self.assertTrue(all(len(r) == len(header) for r in rows), text)
        self.assertEqual([p["name"] for p in data["ports"]], ["stream", "once", "sink", "vm"])
        self.assertEqual(self.ports()["once"]["rx_packets"], 8)
        text, data = self.ok("show", "port", "stats", "sink")
        self.assertEqual([p["name"] for p in data["ports"]], ["sink"])
        self.assertEqual(len(text.splitlines()), 2, text)
        self.assertGreater(self.sink_growth(), 0)

    def check_show_lcore_stats(self):
        text, data = self.ok("show", "lcore", "stats")
        self.assertIn("cycles/pkt", text.splitlines()[0])
        (lcore,) = data["lcores"]
        self.assertEqual(lcore["lcore"], 1)
        self.assertGreater(lcore["packets"], 0)
        self.assertTrue(text.splitlines()[1].startswith("1 "), text)

    def check_show_fwd(self):
        self.assertEqual(self.ok("show", "fwd"),
                         ("forwarding mode: l2switch\n", {"mode": "l2switch", "forwarding": True}))

    def check_set_fwd(self):
        for mode in ("macswap", "io", "l2switch"):
            r = self.cli("set", "fwd", mode)
            self.assertEqual((r.returncode, r.stdout), (0, f"forwarding mode: {mode}\n"), r.stderr)
            self.assertEqual(self.ok("show", "fwd")[1], {"mode": mode, "forwarding": True})
        self.refused("usage: set fwd", "set", "fwd", "bogus")

    def check_stop(self):
        r = self.cli("stop")
        self.assertEqual((r.returncode, r.stdout), (0, "forwarding stopped\n"), r.stderr)
        self.refused("not forwarding", "stop")
        self.assertEqual(self.sink_growth(), 0)
        self.assertEqual(self.cli("show", "fwd").stdout, "forwarding mode: l2switch (stopped)\n")
        self.assertEqual(json.loads(self.cli("--json", "start").stdout), {"forwarding": True})
        self.assertGreater(self.sink_growth(), 0)

    def check_start(self):
        self.assertEqual(json.loads(self.cli("--json", "stop").stdout), {"forwarding": False})
        r = self.cli("start")
        self.assertEqual((r.returncode, r.stdout), (0, "forwarding started\n"), r.stderr)
        self.refused("already forwarding", "start")
        self.assertGreater(self.sink_growth(), 0)

    def check_port_stop(self):
        r = self.cli("port", "stop", "sink")
        self.assertEqual((r.returncode, r.stdout), (0, "port sink stopped\n"), r.stderr)
        self.assertEqual(json.loads(self.cli("--json", "port", "start", "sink").stdout),
                         {"port": "sink", "started": True})
        self.refused("no port named \"nope\"", "port", "stop", "nope")

    def check_port_start(self):
        self.cli("port", "stop", "sink")
        r = self.cli("port", "start", "sink")
        self.assertEqual((r.returncode, r.stdout), (0, "port sink started\n"), r.stderr)
        self.refused("port sink is already started", "port", "start", "sink")
        self.assertGreater(self.sink_growth(), 0)

    def check_port_add(self):
        r = self.cli("port", "add", "extra", "ethdev", "net_null7,no-rx=1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^port extra added \(id \d+\): ")
        self.assertIn("extra", self.ok("show", "port", "info", "extra")[0])
        self.refused("a port named extra exists", "port", "add", "extra", "ethdev", "net_null8")
        r = self.cli("port", "add", "extra2")
        self.assertEqual(r.returncode, 1)
        self.assertIn("usage: port add NAME vhost-user SOCKET", r.stderr)
        self.cli("port", "del", "extra")

    def check_port_del(self):
        self.cli("port", "add", "extra", "ethdev", "net_null7,no-rx=1")
        r = self.cli("--json", "port", "del", "extra")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout),
                         {"port": "extra", "removed": True, "fdb_entries_removed": 0})
        self.refused("no port named", "show", "port", "info", "extra")
        self.refused("no port named \"extra\"", "port", "del", "extra")

    def check_show_port_xstats(self):
        text, data = self.ok("show", "port", "xstats", "sink")
        self.assertTrue(text.startswith("port sink (ethdev)\n"), text)
        self.assertRegex(text, r"\ntx0\s+\d+\s+\d+\s+\d+\n")
        names = {x["name"] for x in data["device_xstats"]}
        self.assertIn("tx_good_packets", names)
        self.refused("no port named", "show", "port", "xstats", "nope")

    def check_show_port_info(self):
        text, data = self.ok("show", "port", "info", "sink")
        (info,) = data["ports"]
        self.assertEqual(
            (info["name"], info["type"], info["started"], info["rx_queues"], info["vlan"]),
            ("sink", "ethdev", True, 1, "untagged"))
        self.assertIn("driver net_null", info["description"])
        self.assertRegex(text, r"(?m)^port sink\n\s+type\s+ethdev\n\s+state\s+started\n")
        self.assertEqual(len(self.ok("show", "port", "info")[1]["ports"]), 4)

    def check_show_fwd_stats(self):
        text, data = self.ok("show", "fwd", "stats")
        self.assertEqual([p["name"] for p in data["ports"]], ["stream", "once", "sink", "vm"])
        self.assertEqual(data["total"]["tx_packets"],
                         sum(p["tx_packets"] for p in data["ports"]))
        self.assertEqual(text.splitlines()[0].split(),
                         ["port", "rx-packets", "rx-dropped", "tx-packets", "tx-dropped"])
        self.assertTrue(text.splitlines()[-1].startswith("total"), text)

    def check_show_config_fwd(self):
        text, data = self.ok("show", "config", "fwd")
        self.assertEqual((data["mode"], data["pairs"]), ("l2switch", [["stream", "sink"]]))
        self.assertEqual([lc["lcore"] for lc in data["lcores"]], [1])
        self.assertIn("forwarding mode: l2switch", text)
        self.assertIn("lcore 1 polls stream rx0", text)

    # The clear commands run last: what they clear does not come back.

    def check_clear_port_stats(self):
        self.assertEqual(self.ports()["once"]["rx_packets"], 8)
        r = self.cli("clear", "port", "stats", "once")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.ports()["once"]["rx_packets"], 0)
        # Only the display: /metrics keeps its totals.
        self.assertEqual(self.d.metric("zcswitch_port_rx_packets_total", port="once"), 8)
        self.assertEqual(json.loads(self.cli("--json", "clear", "port", "stats").stdout), {})
        self.refused("no port named", "clear", "port", "stats", "nope")

    def check_clear_lcore_stats(self):
        (before,) = self.ok("show", "lcore", "stats")[1]["lcores"]
        r = self.cli("clear", "lcore", "stats")
        self.assertEqual((r.returncode, r.stdout), (0, "cleared the lcore statistics\n"), r.stderr)
        (after,) = json.loads(self.cli("--json", "show", "lcore", "stats").stdout)["lcores"]
        self.assertLess(after["packets"], before["packets"])

    def check_clear_fwd_stats(self):
        before = self.ok("show", "fwd", "stats")[1]["total"]["tx_packets"]
        r = self.cli("clear", "fwd", "stats")
        self.assertEqual((r.returncode, r.stdout), (0, "cleared the forward statistics\n"), r.stderr)
        after = json.loads(self.cli("--json", "show", "fwd", "stats").stdout)["total"]["tx_packets"]
        self.assertLess(after, before)

    def check_show_vhost(self):
        text, data = self.ok("show", "vhost", "vm")
        self.assertEqual((data["port"], data["mode"], data["connected"]), ("vm", "server", False))
        self.assertTrue(data["socket"].endswith("vm.sock"), data)
        self.assertIn("port vm: vhost-user server on", text)
        self.assertIn("no front-end", text)
        self.refused("port sink is not a vhost-user port", "show", "vhost", "sink")

    ZCOPY_REASONS = ("disabled", "small", "inflight_full", "not_prompt", "flood", "no_reap")

    def check_show_zcopy(self):
        text, data = self.ok("show", "zcopy")
        self.assertEqual(data["settings"], {"enabled": True, "copy_threshold": 1440,
                                            "max_inflight": 64, "reap_us": 50,
                                            "header_bytes": 128})
        self.assertTrue(text.startswith(
            "zero-copy on: copy_threshold 1440, max_inflight 64, reap_us 50, header_bytes 128\n"),
            text)
        ports = {p["name"]: p for p in data["ports"]}
        self.assertEqual(list(ports), ["stream", "once", "sink", "vm"])
        # net_pcap and net_null free what they take; a guest holds it.
        self.assertEqual({n: p["target"] for n, p in ports.items()},
                         {"stream": "reference", "once": "reference", "sink": "reference",
                          "vm": "copied_out"})
        self.assertIn("port sink (ethdev): target reference\n", text)
        self.assertIn("port vm (vhost-user): target copied out: not prompt, taken as it is and "
                      "copied into the guest\n", text)
        # The guest's transmit vring of pair 0; no front-end, so it lends nothing.
        (q,) = ports["vm"]["queues"]
        self.assertEqual((q["queue"], q["can_lend"], q["packets"], q["inflight"]),
                         ("rx0", False, 0, 0))
        self.assertEqual(set(q["copied"]), set(self.ZCOPY_REASONS))
        self.assertRegex(text, r"\n  rx0\s+no\s+0\s+0\s+0\s+0\s+0\s+0\s+0\.0\n")
        self.assertEqual(ports["sink"]["queues"], [])
        text, data = self.ok("show", "zcopy", "vm")
        self.assertEqual([p["name"] for p in data["ports"]], ["vm"])
        self.assertNotIn("sink", text)
        self.refused("no port named \"nope\"", "show", "zcopy", "nope")
        # The same counters in xstats, and in /metrics under zero-copy's own
        # families: counters per port (and reason), gauges per queue.
        xstats = self.ok("show", "port", "xstats", "vm")[1]["xstats"]
        self.assertIn({"name": "zcopy_copied", "reason": "small", "queue": "rx0", "value": 0},
                      xstats)
        self.assertIn({"name": "zcopy_inflight", "reason": "", "queue": "rx0", "value": 0},
                      xstats)
        metrics = self.d.scrape()
        for name, labels in (
                ("zcswitch_zcopy_packets_total", {"port": "vm"}),
                ("zcswitch_zcopy_bytes_total", {"port": "vm"}),
                ("zcswitch_zcopy_inflight", {"port": "vm", "queue": "rx0"}),
                *(("zcswitch_zcopy_copied_packets_total", {"port": "vm", "reason": r})
                  for r in self.ZCOPY_REASONS)):
            self.assertEqual(metrics.get((name, frozenset(labels.items()))), 0, (name, labels))
        families = {}
        for (name, labels) in metrics:
            if name.startswith("zcswitch_zcopy_"):
                families.setdefault(name, set()).add(frozenset(k for k, _ in labels))
        for name, keys in (("zcswitch_zcopy_packets_total", {"port"}),
                           ("zcswitch_zcopy_bytes_total", {"port"}),
                           ("zcswitch_zcopy_copied_packets_total", {"port", "reason"}),
                           ("zcswitch_zcopy_inflight", {"port", "queue"})):
            self.assertEqual(families.get(name), {frozenset(keys)}, name)
        with urllib.request.urlopen(f"http://127.0.0.1:{self.d.metrics_port}/metrics",
                                    timeout=5) as r:
            raw = r.read().decode()
        self.assertIn("# TYPE zcswitch_zcopy_inflight gauge", raw)
        self.assertIn("# TYPE zcswitch_zcopy_copied_packets_total counter", raw)
        self.assertIn("# HELP zcswitch_zcopy_packets_total Guest packets", raw)
        self.assertNotIn("zcswitch_vhost_zcopy", raw)

    def check_set_zcopy(self):
        r = self.cli("set", "zcopy", "off")
        self.assertEqual((r.returncode, r.stdout), (0, "zero-copy off\n"), r.stderr)
        text, data = self.ok("show", "zcopy")
        self.assertFalse(data["settings"]["enabled"])
        self.assertTrue(text.startswith("zero-copy off: "), text)
        r = self.cli("--json", "set", "zcopy", "on")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["in_order_ports"], [])
        self.assertTrue(self.ok("show", "zcopy")[1]["settings"]["enabled"])
        # A bad one: usage (every way `set zcopy` goes on), exit 1, nothing changed.
        err = self.refused("unknown state \"maybe\"", "set", "zcopy", "maybe")
        self.assertIn("usage: set zcopy on|off", err)
        self.assertIn("or: set zcopy max_inflight N", err)
        self.refused("usage: set zcopy on|off", "set", "zcopy")
        self.assertTrue(self.ok("show", "zcopy")[1]["settings"]["enabled"])

    def check_set_zcopy_setting(self, name, low, high, was):
        r = self.cli("set", "zcopy", name, str(high))
        self.assertEqual((r.returncode, r.stdout),
                         (0, f"zero-copy {name} {high} (was {was})\n"), r.stderr)
        text, data = self.ok("show", "zcopy")
        self.assertEqual(data["settings"][name], high)
        self.assertIn(f"{name} {high}", text.splitlines()[0])
        for bad in ([str(high + 1)] + ([str(low - 1)] if low > 0 else []) + ["many", "-1"]):
            self.refused(f"N needs a number from {low} to {high}; usage: set zcopy {name} N",
                         "set", "zcopy", name, bad)
        self.refused(f"usage: set zcopy {name} N", "set", "zcopy", name)
        self.assertEqual(self.ok("show", "zcopy")[1]["settings"][name], high)
        self.assertEqual(json.loads(self.cli("--json", "set", "zcopy", name, str(was)).stdout)[name],
                         was)

    def check_show_fdb(self):
        # Learning is asynchronous: after an `fdb flush` the stream's source
        # comes back within milliseconds.
        deadline = time.time() + 5
        while True:
            text, data = self.ok("show", "fdb")
            entries = {e["mac"]: e for e in data["entries"]}
            if (STREAM_SRC in entries and STREAM_SRC in text) or time.time() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(entries[STREAM_SRC]["port"], "stream")
        self.assertEqual(entries[STREAM_SRC]["type"], "learned")
        self.assertEqual((entries[STREAM_DST]["port"], entries[STREAM_DST]["type"]),
                         ("sink", "static"))
        self.assertRegex(text, rf"{STREAM_SRC}\s+0\s+stream\s+learned")
        self.assertRegex(text, rf"{STREAM_DST}\s+0\s+sink\s+static")

    def check_fdb_add(self):
        r = self.cli("fdb", "add", STATIC_MAC, "once")
        self.assertEqual((r.returncode, r.stdout), (0, f"added {STATIC_MAC} vlan 0 -> once\n"),
                         r.stderr)
        entries = {e["mac"]: e for e in self.ok("show", "fdb")[1]["entries"]}
        self.assertEqual((entries[STATIC_MAC]["port"], entries[STATIC_MAC]["type"]),
                         ("once", "static"))
        self.refused("usage: fdb add", "fdb", "add", "not-a-mac", "once")
        self.assertEqual(json.loads(self.cli("--json", "fdb", "del", STATIC_MAC).stdout),
                         {"mac": STATIC_MAC, "vlan": 0})

    def check_fdb_del(self):
        self.cli("fdb", "add", STATIC_MAC, "once")
        r = self.cli("fdb", "del", STATIC_MAC)
        self.assertEqual((r.returncode, r.stdout), (0, f"removed {STATIC_MAC} vlan 0\n"), r.stderr)
        self.assertNotIn(STATIC_MAC, self.cli("show", "fdb").stdout)
        self.refused("no FDB entry", "fdb", "del", STATIC_MAC)

    def check_fdb_flush(self):
        r = self.cli("--json", "fdb", "flush")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertGreaterEqual(json.loads(r.stdout)["removed"], 1)  # the stream's source
        r = self.cli("fdb", "flush")
        self.assertRegex(r.stdout, r"^removed \d+ learned entries\n$")

    CHECKS = {
        "help": check_help,
        "show port stats": check_show_port_stats,
        "show lcore stats": check_show_lcore_stats,
        "show fwd": check_show_fwd,
        "set fwd": check_set_fwd,
        "stop": check_stop,
        "start": check_start,
        "port stop": check_port_stop,
        "port start": check_port_start,
        "port add": check_port_add,
        "port del": check_port_del,
        "show vhost": check_show_vhost,
        "show port xstats": check_show_port_xstats,
        "show port info": check_show_port_info,
        "show fwd stats": check_show_fwd_stats,
        "show config fwd": check_show_config_fwd,
        "clear port stats": check_clear_port_stats,
        "clear lcore stats": check_clear_lcore_stats,
        "clear fwd stats": check_clear_fwd_stats,
        "show fdb": check_show_fdb,
        "fdb add": check_fdb_add,
        "fdb del": check_fdb_del,
        "fdb flush": check_fdb_flush,
        "show zcopy": check_show_zcopy,
        "set zcopy": check_set_zcopy,
        "set zcopy copy_threshold":
            lambda self: self.check_set_zcopy_setting("copy_threshold", 0, 65535, 1440),
        "set zcopy max_inflight":
            lambda self: self.check_set_zcopy_setting("max_inflight", 1, 32768, 64),
        "set zcopy reap_us": lambda self: self.check_set_zcopy_setting("reap_us", 1, 1000000, 50),
        "set zcopy header_bytes":
            lambda self: self.check_set_zcopy_setting("header_bytes", 64, 512, 128),
        "shutdown": None,  # test_shutdown
    }

    def test_every_command(self):
        commands = [" ".join(c["words"]) for c in self.ok("help")[1]["commands"]]
        unchecked = [c for c in commands if c not in self.CHECKS]
        self.assertEqual(unchecked, [], "commands without a check in test_cli.py")
        # What a clear clears does not come back: those run last.
        for c in sorted(commands, key=lambda c: c.startswith("clear ")):
            with self.subTest(command=c):
                if self.CHECKS.get(c) is not None:
                    self.CHECKS[c](self)
        self.assertEqual(self.d.stop(), 0, self.d.stderr())

    def test_shutdown(self):
        r = self.cli("shutdown")
        self.assertEqual((r.returncode, r.stdout), (0, "shutting down\n"), r.stderr)
        self.assertEqual(self.d.proc.wait(timeout=30), 0, self.d.stderr())
        self.assertIn("Final port statistics", self.d.stdout())

    def test_bad_commands_exit_1_with_usage_and_the_daemon_carries_on(self):
        for words in (["frobnicate"], ["show", "ports"]):
            err = self.refused(f"unknown command \"{' '.join(words)}\"", *words)
            # The usage text: every command with its arguments.
            self.assertIn("show port stats [NAME|all]", err)
            self.assertIn("set fwd l2switch|io|macswap", err)
        err = self.refused("incomplete command \"show\"", "show")
        self.assertIn("show port stats [NAME|all]", err)
        self.assertNotIn("set fwd", err)
        self.refused("usage: show fwd", "show", "fwd", "extra")
        self.refused("no port named", "show", "port", "stats", "nope")
        # A script asking for JSON gets the error as JSON, on stdout.
        r = self.cli("--json", "frobnicate")
        self.assertEqual((r.returncode, r.stderr), (1, ""))
        self.assertIn("unknown command \"frobnicate\"", json.loads(r.stdout)["error"])
        # A word that looks like a flag after the command has begun is the
        # command's, for the daemon to judge; --json is still a flag there.
        self.refused("vlan", "fdb", "add", "02:00:00:00:00:99", "vlan", "-1", "sink")
        r = self.cli("show", "fwd", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["mode"], "l2switch")
        self.assertGreater(self.sink_growth(), 0)  # still forwarding
        self.assertEqual(self.cli("show", "fwd").returncode, 0)  # still answering

    def test_a_script_on_stdin_fails_if_a_command_does(self):
        run = lambda script: subprocess.run([CLI, f"--socket={self.d.control_path}"],
                                            input=script, capture_output=True, text=True,
                                            timeout=30, env=self.env)
        good = run("# a comment\nshow fwd  # and another\nshow port stats sink\n")
        self.assertEqual(good.returncode, 0, good.stderr)
        self.assertIn("forwarding mode: l2switch", good.stdout)
        self.assertIn("sink", good.stdout)
        bad = run("show fwd\nfrobnicate\nshow port stats sink\n")
        self.assertEqual(bad.returncode, 1, bad)
        self.assertIn("unknown command \"frobnicate\"", bad.stderr)
        # Every command still ran, in order.
        self.assertIn("forwarding mode: l2switch", bad.stdout)
        self.assertIn("sink", bad.stdout)
        self.assertEqual(self.d.stop(), 0, self.d.stderr())

    def test_one_quoted_argument_is_split_into_words(self):
        r = self.cli("show port info sink")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("sink", r.stdout)
        self.assertEqual(self.d.stop(), 0, self.d.stderr())

    def test_usage_errors_exit_2(self):
        r = self.cli("--frobnicate", "help")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown flag --frobnicate", r.stderr)
        self.assertIn("usage: zcswitch-cli", r.stderr)
        # After the command too, and a flag missing its value (gflags
        # itself would exit 1, "refused").
        for args, error in ((["show", "fwd", "--jsno"], "unknown flag --jsno"),
                            (["show", "fwd", "--socket"], "flag --socket needs a value")):
            r = self.cli(*args)
            self.assertEqual((r.returncode, r.stdout), (2, ""), r)
            self.assertIn(error, r.stderr)
        # `--` ends the flags: the daemon is asked, and refuses.
        r = self.cli("--", "show", "fwd", "--json")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("usage: show fwd", r.stderr)

    def test_no_daemon_exits_2_naming_the_socket(self):
        missing = os.path.join(self.workdir, "missing.sock")
        for args in (["help"], []):  # one command, and the prompt
            r = self.cli(*args, socket=missing)
            self.assertEqual(r.returncode, 2, r)
            self.assertIn(f"cannot connect to {missing}", r.stderr)
            self.assertIn("is zcswitchd running?", r.stderr)


class InteractiveTest(CliTestCase):
    def test_prompt_completes_recalls_and_quits(self):
        self.d = self.start(self.config)
        self.d.wait_ready()
        t = self.terminal([CLI, f"--socket={self.d.control_path}"])
        t.prompt()
        # TAB completes a unique word ("lc" -> "lcore ", "st" -> "stats "):
        # without it the daemon would get "show lc st" and refuse it.
        t.type("show lc\tst\t\r")
        self.assertIn(b"cycles/pkt", t.prompt())
        # Where the candidates differ at once, TAB lists them.
        t.type("show f\t")
        t.expect(b"fdb  fwd")
        t.prompt()  # shown again below the list, with "show f"
        t.type("wd\r")
        self.assertIn(b"forwarding mode: l2switch", t.prompt())
        # Up-arrow twice: the command before last.
        t.type("\x1b[A\x1b[A\r")
        self.assertIn(b"cycles/pkt", t.prompt())
        # A failing command prints its error; the prompt goes on.
        t.type("frobnicate\r")
        self.assertIn(b"unknown command \"frobnicate\"", t.prompt())
        # Ctrl-C abandons the line: "show" is not sent, and "quit" is a line of its own.
        t.type("show\x03")
        t.prompt()
        t.type("quit\r")
        self.assertEqual(t.wait(), 0, t.seen)
        with open(os.path.join(self.workdir, ".zcswitch_history")) as f:
            history = f.read()
        self.assertIn("show\\040lcore\\040stats", history)  # libedit's escaping of spaces
        self.assertEqual(self.d.stop(), 0)

    def test_json_prompt_and_end_of_input(self):
        self.d = self.start(self.config)
        self.d.wait_ready()
        t = self.terminal([CLI, f"--socket={self.d.control_path}", "--json"])
        t.prompt()
        t.type("show fwd\r")
        self.assertIn(b'"mode": "l2switch"', t.prompt())
        t.type("\x04")  # Ctrl-D
        self.assertEqual(t.wait(), 0, t.seen)
        self.assertEqual(self.d.stop(), 0)


class DaemonPromptTest(CliTestCase):
    def daemon_terminal(self):
        sock = os.path.join(self.workdir, "zcswitch.sock")
        prefix = f"zccli{os.getpid()}_{int(time.time() * 1000) % 100000}"
        t = self.terminal([ZCSWITCHD, "-i", f"--config={self.config}",
                           "--metrics_address=127.0.0.1:0", f"--control_socket={sock}", "--",
                           f"--file-prefix={prefix}"])
        self.assertIn(b"zcswitchd: forwarding", t.prompt(timeout=60))
        return t

    def test_quit_stops_the_daemon(self):
        t = self.daemon_terminal()
        t.type("show port stats\r")
        out = t.prompt()
        self.assertIn(b"tx-packets", out)
        self.assertIn(b"sink", out)
        # Ctrl-C abandons the line and leaves the switch running.
        t.type("show por\x03")
        t.prompt()
        t.type("show fwd\r")
        self.assertIn(b"forwarding mode: l2switch", t.prompt())
        t.type("quit\r")
        self.assertEqual(t.wait(), 0, t.seen)
        self.assertIn(b"shutdown command, stopping", t.unread)
        self.assertIn(b"Final port statistics", t.unread)

    def test_sigterm_at_the_prompt_ends_it_and_restores_the_terminal(self):
        t = self.daemon_terminal()
        self.assertFalse(t.terminal_modes() & termios.ICANON)  # libedit is editing
        t.proc.send_signal(signal.SIGTERM)
        self.assertEqual(t.wait(), 0, t.seen)
        self.assertIn(b"Final port statistics", t.unread)
        self.assertTrue(t.terminal_modes() & termios.ICANON)

    def test_needs_a_control_socket(self):
        r = self.run_daemon(["-i", f"--config={self.config}", "--control_socket="])
        self.assertEqual(r.returncode, 2)
        self.assertIn("-i needs --control_socket", r.stderr)


if __name__ == "__main__":
    unittest.main()
