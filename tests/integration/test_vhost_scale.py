"""64 vhost-user ports on one zcswitchd: start-up, memory, and a front-end on
each port in turn.

The daemon has 64 server-mode ports in 32 io pairs on one forwarding lcore.
A DPDK virtio-user front-end (a dpdk-testpmd hot-plugging one port at a time)
attaches to each port in turn and sends exactly 4 bursts of 32 64-byte packets (`start tx_first 4`; testpmd's io
mode then has nothing to forward, as the partner port has no front-end). Each
port must count exactly those packets, its link must be up while the
front-end is there and down after, and its partner must count them as
link_down drops. At the end the daemon's fds and mappings are where they were
before the first front-end came.

Start-up time and VmRSS/VmSize are printed for the record.
"""
import os
import time
import unittest

from zctest import DaemonTestCase, Testpmd, final_port_stats

PORTS = 64
BURSTS, BURST, FRAME = 4, 32, 64  # testpmd's txonly: 32 packets a burst, 64 B frames
SENT = BURSTS * BURST

# EAL memory. The mbuf pool is sized for every port's rings: (1024 + 1024) per
# port plus 16384 + 288, 147744 mbufs. Under --no-huge a mempool places no
# object across a 4 KB page, so each 2.3 KB mbuf takes a page: 577 MiB, and
# the jumbo pool's 4095 10 KB mbufs three pages each, 48 MiB. 512 is refused
# ("cannot create mbuf pool"); 768 leaves room for the rest.
EAL_MB = 768
# All of EAL's memory is touched when the pools are populated; on top come the
# process's own heap and libraries: measured about 6 MiB (Release) and 100 MiB
# (ASan, whose allocator and shadow count too). 160 MiB leaves room for both.
RSS_LIMIT_KB = (EAL_MB + 160) * 1024
# Guest memory is mapped only while a front-end is attached; 64 attachments
# and detachments may leave a little more heap, not their guests' pages
# (measured: under 1 MiB). Under ASan, freed memory waits in its quarantine,
# 256 MiB by default, before it is reused, and then in ASan's per-size free
# lists, so RSS grows with what the test's many control requests allocate:
# 75 to 82 MiB once, 348 MiB since `show port stats` snapshots every port's
# vhost counters. The release run is the check on growth (and LeakSanitizer,
# at exit, the check on leaks); under ASan the bound only catches a runaway.
RSS_GROWTH_LIMIT_KB = 32 * 1024
ASAN_QUARANTINE_KB = 512 * 1024
STARTUP_LIMIT_S = 30
# The front-end's memory (with a 2048-mbuf pool, 8 MiB under --no-huge, it
# needs little). The daemon maps all of it while the front-end is attached:
# the memory table covers the whole segment.
GUEST_MB = 256


def mib(memory_kb):
    return ", ".join(f"{k} {v // 1024} MiB" for k, v in memory_kb.items())


class VhostScaleTest(DaemonTestCase):
    def port_stats(self, d, name):
        return d.control("show", "port", "stats", name)["data"]["ports"][0]

    def wait_port(self, d, name, what, predicate, timeout=20):
        """Polls `show port stats NAME` until predicate(stats) holds."""
        deadline = time.time() + timeout
        while True:
            stats = self.port_stats(d, name)
            if predicate(stats):
                return stats
            if time.time() > deadline:
                self.fail(f"port {name}: {what} not seen in {timeout}s: {stats}\n{d.stderr()}")
            time.sleep(0.02)

    def test_64_ports_one_front_end_at_a_time(self):
        socks = [os.path.join(self.workdir, f"vm{i}.sock") for i in range(PORTS)]
        ports = "\n".join(f'  - {{name: vm{i}, type: vhost-user, socket: "{s}"}}'
                          for i, s in enumerate(socks))
        pairs = ", ".join(f"[vm{i}, vm{i + 1}]" for i in range(0, PORTS, 2))
        config = self.write("zc.yaml", f"""
eal: [-l, "0,1", --no-huge, -m, "{EAL_MB}", --no-pci]
forwarding: {{mode: io, lcores: [1], pairs: [{pairs}]}}
ports:
{ports}
""")
        t0 = time.monotonic()
        d = self.start(config)
        deadline = t0 + STARTUP_LIMIT_S
        while True:
            self.assertIsNone(d.proc.poll(), d.stderr())
            if all(os.path.exists(s) for s in socks):
                try:
                    d.control("help")
                    break
                except OSError:  # the control socket is there before it is served
                    pass
            self.assertLess(time.monotonic(), deadline,
                            f"not up within {STARTUP_LIMIT_S}s:\n{d.stderr()}")
            time.sleep(0.02)
        startup_s = time.monotonic() - t0
        d.wait_ready()
        before = d.memory_kb()
        baseline = d.steady_footprint()
        print(f"\n{PORTS} ports: start-up {startup_s:.2f} s, {mib(before)}; "
              f"fds, mappings {baseline}", flush=True)
        self.assertLess(before["VmRSS"], RSS_LIMIT_KB)

        # One testpmd hot-plugs a virtio-user port for each socket in turn: a
        # new vhost-user connection, memory table and vrings each time,
        # without paying for a process and EAL start 64 times. Its main lcore
        # is on the CPU the daemon's forwarding lcore does not spin on.
        tp = Testpmd(self.workdir, "scale", [], ["--forward-mode=io"], main_lcore=0,
                     memory_mb=GUEST_MB, mbufs=2048)
        self.addCleanup(tp.kill)
        t_attach = time.monotonic()
        attached_vmsize = []
        for i in range(PORTS):
            name = f"vm{i}"
            self.assertEqual(self.port_stats(d, name)["rx_packets"], 0, name)
            tp.send(f"port attach net_virtio_user{i},path={socks[i]}", "port start all")
            self.wait_port(d, name, "link up", lambda s: s["link_up"])
            attached_vmsize.append(d.memory_kb()["VmSize"])
            tp.send(f"start tx_first {BURSTS}")
            self.wait_port(d, name, f"{SENT} packets", lambda s: s["rx_packets"] >= SENT)
            tp.send("stop", "port stop all", "port close all",
                    f"device detach net_virtio_user{i}")
            stats = self.wait_port(d, name, "link down", lambda s: not s["link_up"])
            self.assertEqual((stats["rx_packets"], stats["rx_bytes"]), (SENT, SENT * FRAME),
                             name)
        attach_s = time.monotonic() - t_attach

        # Each guest's memory was mapped while it was there, and is not now.
        self.assertGreaterEqual(min(attached_vmsize), before["VmSize"] + GUEST_MB * 1024)
        self.assertEqual(d.settled_footprint(baseline), baseline, "fds and mappings")
        after = d.memory_kb()
        print(f"after {PORTS} attachments ({attach_s:.1f} s): {mib(after)}; while attached "
              f"VmSize up to {max(attached_vmsize) // 1024} MiB", flush=True)
        self.assertLess(after["VmSize"], before["VmSize"] + GUEST_MB * 1024)
        growth_limit = RSS_GROWTH_LIMIT_KB + (ASAN_QUARANTINE_KB if d.has_asan() else 0)
        self.assertLess(after["VmRSS"], before["VmRSS"] + growth_limit)
        self.assertEqual(d.stderr().count("front-end connected"), PORTS)
        self.assertEqual(d.stderr().count("front-end disconnected"), PORTS)
        self.assertEqual(tp.quit(), 0, tp.output())

        self.assertEqual(d.stop(), 0, d.stderr())
        final = final_port_stats(d.stdout())
        self.assertEqual(len(final), PORTS)
        for name, s in final.items():
            # What each port's partner sent while this port had no front-end.
            self.assertEqual((s["rx-packets"], s["tx-packets"], s["tx-dropped"]),
                             (SENT, 0, SENT), name)


if __name__ == "__main__":
    unittest.main()
