"""Zero-copy dequeue against real front-ends (DPDK virtio-user in dpdk-testpmd).

What the guest lends is observed through the vhost-user port's zero-copy
xstats (`show port xstats`, queue "rx0": zcopy_packets, zcopy_copied{reason},
zcopy_completions, zcopy_inflight, ...) and through testpmd's own counters.

Holding buffers needs a destination that keeps mbufs without freeing them:
a net_ring port declared `zcopy_ok: true`. net_ring loops a queue's ring
back to the same queue number of the same device, and two ports of one
process cannot share its rings (the second probe of a ring name fails with
"Ethernet device ... already allocated"). So the hold is made from queue
numbers: the daemon runs two forwarding lcores, the ring port ("hole") has
one RX queue, and the guest's queue is polled by the second lcore, which
transmits on the ring's TX queue 1, whose ring (ETH_RXTX1_net_ring0) no RX
queue reads. To release them, the ring port is deleted and the same device
added again as "reader" with two RX queues: net_ring frees only its RX
queues' rings on close and attaches to the rings still there when probed
again, so the reader's queue 1 drains what sat in ring 1 and floods it to a
net_null sink (the FDB's static entry went with the old port).
"""
import os
import re
import signal
import time
import unittest

from zctest import DaemonTestCase, Testpmd, final_port_stats, pcap_frames, pcaptool

GUEST_MAC = "02:00:00:00:01:01"
PEER_MAC = "02:00:00:00:00:aa"  # where the guest sends: static FDB entry, or unknown

# Two forwarding lcores on the second CPU; round-robin queue assignment puts
# hole's queue 0 on the first and vm1's on the second (see the file comment).
HOLD_CONFIG = """
eal: [--lcores, "0@0,(1-2)@1", --no-huge, -m, "512", --no-pci]
forwarding: {mode: l2switch, lcores: [1, 2]}
fdb:
  static:
    - {mac: "%(peer)s", port: hole}
zcopy: {max_inflight: 64}
ports:
  - {name: hole, type: ethdev, devargs: net_ring0, zcopy_ok: true}
  - {name: %(guest)s, type: vhost-user, socket: "%(sock)s"}
  - {name: sink, type: ethdev, devargs: "net_null0,no-rx=1"}
"""


def poll(what, check, timeout=5.0, interval=0.1):
    """Calls what() until check(value) holds; returns the last value."""
    deadline = time.time() + timeout
    value = what()
    while not check(value) and time.time() < deadline:
        time.sleep(interval)
        value = what()
    return value


class ZcopyTest(DaemonTestCase):
    # ---- helpers ---------------------------------------------------------

    def zc(self, d, port="vm1", queue="rx0"):
        """The port's zero-copy xstats of `queue`: {name or name.reason: value}."""
        reply = d.control("show", "port", "xstats", port)
        self.assertTrue(reply["ok"], reply)
        out = {}
        for x in reply["data"]["xstats"]:
            if x["queue"] == queue and x["name"].startswith("zcopy_"):
                key = x["name"] + ("." + x["reason"] if x["reason"] else "")
                out[key] = x["value"]
        self.assertIn("zcopy_inflight", out, f"no zero-copy xstats on {port}: {reply}")
        return out

    def copied(self, z):
        return sum(v for k, v in z.items() if k.startswith("zcopy_copied."))

    def port_stats(self, d):
        return {p["name"]: p for p in d.control("show", "port", "stats")["data"]["ports"]}

    def guest(self, name, sock, args=(), virtio_args="", vdevs=(), main_lcore=1):
        tp = Testpmd(self.workdir, name,
                     [*vdevs, f"net_virtio_user0,path={sock},mac={GUEST_MAC}{virtio_args}"],
                     args, main_lcore=main_lcore)
        self.addCleanup(tp.kill)
        return tp

    def guest_tx(self, tp, port=0):
        """testpmd's TX-packets of `port`, asked now. Its output to a file is
        block-buffered: it is asked until an answer shows that was not there
        before."""
        pattern = rf"NIC statistics for port {port}.*?TX-packets: +(\d+)"
        before = len(re.findall(pattern, tp.output(), re.S))
        deadline = time.time() + 10
        while time.time() < deadline:
            tp.send(f"show port stats {port}")
            time.sleep(0.1)
            blocks = re.findall(pattern, tp.output(), re.S)
            if len(blocks) > before:
                return int(blocks[-1])
        raise AssertionError(f"testpmd did not show its stats\n{tp.output()[-2000:]}")

    def wait_link(self, d, port="vm1", up=1, timeout=15):
        value = poll(lambda: d.metric("zcswitch_port_link_up", port=port), lambda v: v == up,
                     timeout=timeout)
        self.assertEqual(value, up, f"{port}'s link\n{d.stderr()[-2000:]}")

    def guest_mappings(self, d):
        """The daemon's shared mappings (a guest's memory is one), as lines."""
        with open(f"/proc/{d.proc.pid}/maps") as f:
            return {line.split(None, 5)[-1].strip() + " " + line.split()[0]
                    for line in f if line.split()[1][3] == "s"}

    def start_hold(self, guest_args=("--forward-mode=io", "--txpkts=1518"), virtio_args="",
                   bursts=4):
        """A daemon with the hole of the file comment, and a guest on vm1 that
        has sent 4 bursts of 32 1518-byte frames to PEER_MAC. Returns (daemon,
        guest, socket)."""
        sock = os.path.join(self.workdir, "vm1.sock")
        d = self.start(self.write("hold.yaml", HOLD_CONFIG % {"peer": PEER_MAC, "sock": sock,
                                                                 "guest": "vm1"}))
        d.wait_ready()
        self.mappings_before_guest = self.guest_mappings(d)
        lcores = d.control("show", "lcore", "stats")["data"]["lcores"]
        self.assertEqual([[(q["port"], q["queue"]) for q in l["queues"]] for l in lcores],
                         [[("hole", 0), ("sink", 0)], [("vm1", 0)]],
                         "the hold needs vm1 on the second lcore")
        tp = self.guest("g1", sock, [*guest_args, f"--eth-peer=0,{PEER_MAC}"], virtio_args)
        self.wait_link(d)
        if bursts == 0:
            return d, tp, sock
        # io on a port alone sends the first bursts and nothing more.
        tp.send(f"start tx_first {bursts}")
        z = poll(lambda: self.zc(d),
                 lambda z: z["zcopy_inflight"] + self.copied(z) >= 32 * bursts, timeout=15)
        self.assertEqual(z["zcopy_inflight"] + self.copied(z), 32 * bursts, z)
        return d, tp, sock

    def release_hold(self, d):
        """Deletes the ring port and adds its device again as "reader" with
        two RX queues: what sat in the ring goes on (flooded, to sink)."""
        self.assertTrue(d.control("port", "del", "hole")["ok"])
        reply = d.control("port", "add", "reader", "ethdev", "net_ring0", "queues", "2")
        self.assertTrue(reply["ok"], reply)

    # ---- tests -----------------------------------------------------------

    def test_held_until_the_reader_takes_them(self):
        d, tp, _ = self.start_hold()
        held = self.zc(d)
        # max_inflight lent by reference, the rest copied as the table was full.
        self.assertEqual(held["zcopy_inflight"], 64, held)
        self.assertEqual(held["zcopy_copied.inflight_full"], 64, held)
        self.assertEqual(self.copied(held), 64, held)
        self.assertEqual((held["zcopy_completions"], held["zcopy_packets"]), (0, 0), held)
        # Held, not leaking back: the guest's descriptors stay out.
        time.sleep(1)
        still = self.zc(d)
        self.assertEqual((still["zcopy_inflight"], still["zcopy_completions"]), (64, 0), still)
        self.assertEqual(still["zcopy_inflight_max"], 64, still)
        sink_before = self.port_stats(d)["sink"]["tx_packets"]
        # testpmd's io would send back what the reader floods to it.
        tp.send("stop")
        self.release_hold(d)
        done = poll(lambda: self.zc(d), lambda z: z["zcopy_inflight"] == 0, timeout=5)
        self.assertEqual(done["zcopy_inflight"], 0, done)
        # Each held descriptor came back once, by reference (the reader
        # flooded the originals to net_null, the prompt destination, and
        # copies to vm1, whose testpmd no longer forwards).
        self.assertEqual(done["zcopy_completions"], 64, done)
        self.assertEqual(done["zcopy_packets"], 64, done)
        self.assertEqual(done["zcopy_bytes"], 64 * 1518, done)
        self.assertEqual(done["zcopy_head_in_use"], 0, done)
        self.assertEqual(done["zcopy_abandoned"], 0, done)
        self.assertEqual(self.copied(done), 64, done)  # only the inflight_full ones
        sink = poll(lambda: self.port_stats(d)["sink"]["tx_packets"],
                    lambda v: v >= sink_before + 128)
        self.assertEqual(sink - sink_before, 128)  # the 64 lent and the 64 copies
        # The guest has its descriptors back: it sends again (32 new frames;
        # testpmd flushes what it was flooded at start), now to sink by a
        # static entry, by reference.
        self.assertTrue(d.control("fdb", "add", PEER_MAC, "sink")["ok"])
        tp.send("start tx_first 1")
        again = poll(lambda: self.zc(d), lambda z: z["zcopy_completions"] >= 64 + 32)
        time.sleep(0.5)
        again = self.zc(d)
        self.assertEqual(again["zcopy_inflight"], 0, again)
        self.assertEqual(again["zcopy_completions"], again["zcopy_packets"], again)
        self.assertEqual(again["zcopy_completions"] + self.copied(again),
                         self.port_stats(d)["vm1"]["rx_packets"], again)
        self.assertGreaterEqual(again["zcopy_completions"], 64 + 32, again)
        self.assertEqual(tp.quit(), 0, tp.output()[-2000:])
        self.assertEqual(d.stop(), 0, d.stderr()[-3000:])

    def test_bytes_on_the_wire_are_the_guests(self):
        # 1518 and 9000-byte frames the guest replays from a pcap go by
        # reference to a net_pcap port, which must write exactly them.
        sock = os.path.join(self.workdir, "vm1.sock")
        count = 200
        pcaptool("gen", f"{self.workdir}/in.pcap", count, "1518,9000")
        d = self.start(self.write("zc.yaml", """
eal: [-l, "0,1", --no-huge, -m, "512", --no-pci]
forwarding: {mode: io, lcores: [1], pairs: [[vm1, cap]]}
ports:
  - {name: vm1, type: vhost-user, socket: "%s"}
  - {name: cap, type: ethdev, devargs: "net_pcap0,tx_pcap=out.pcap"}
""" % sock))
        d.wait_ready()
        # The mbuf size before the packet length, or testpmd quietly falls
        # back to small packets.
        tp = self.guest("replay", sock, ["--mbuf-size=10240", "--max-pkt-len=9600",
                                         "--forward-mode=io", "--no-flush-rx"],
                        ",queue_size=1024,mrg_rxbuf=1", vdevs=["net_pcap0,rx_pcap=in.pcap"])
        self.wait_link(d)
        tp.send("set fwd io retry", "set burst tx delay 50 retry 10000", "start")
        d.wait_metric("zcswitch_port_tx_packets_total", count, timeout=20, port="cap")
        sent = pcap_frames(f"{self.workdir}/in.pcap")
        z = poll(lambda: self.zc(d), lambda z: z["zcopy_completions"] >= count)
        self.assertEqual(z["zcopy_packets"], count, z)
        self.assertEqual(z["zcopy_bytes"], sum(len(f) for f in sent), z)
        self.assertEqual((z["zcopy_completions"], z["zcopy_inflight"], self.copied(z)),
                         (count, 0, 0), z)
        self.assertGreater(z["zcopy_inflight_max"], 0, z)
        self.assertEqual(tp.quit(), 0, tp.output()[-2000:])
        self.assertEqual(d.stop(), 0, d.stderr()[-3000:])
        got = pcap_frames(f"{self.workdir}/out.pcap")
        self.assertEqual(sorted(set(len(f) for f in got)), [1518, 9000])
        self.assertEqual(len(got), count)
        self.assertTrue(got == sent, "frames differ: first at %s" % next(
            (i for i, (a, b) in enumerate(zip(sent, got)) if a != b), None))

    def test_orphan_rule_guest_to_guest_and_flood(self):
        # vm1's frames to vm2 (static entry) are copied (`not_prompt`) and
        # nothing goes by reference; flooded, the original goes by reference
        # to the one prompt destination (sink, net_null) and the others
        # (vm2, the capture) get copies; with no prompt member left in the
        # flood, it is copied (`flood`).
        sock1 = os.path.join(self.workdir, "vm1.sock")
        sock2 = os.path.join(self.workdir, "vm2.sock")
        vm2_mac = "02:00:00:00:02:02"
        d = self.start(self.write("zc.yaml", """
eal: [-l, "0,1", --no-huge, -m, "512", --no-pci]
forwarding: {mode: l2switch, lcores: [1]}
fdb:
  static:
    - {mac: "%s", port: vm2}
ports:
  - {name: vm1, type: vhost-user, socket: "%s"}
  - {name: vm2, type: vhost-user, socket: "%s"}
  - {name: sink, type: ethdev, devargs: "net_null0,no-rx=1"}
  - {name: cap, type: ethdev, devargs: "net_pcap0,tx_pcap=cap.pcap"}
""" % (vm2_mac, sock1, sock2)))
        d.wait_ready()
        # vm2's testpmd only holds its port up: it never forwards, so what
        # it is sent stays in its receive ring (256 entries, enough here).
        vm2 = Testpmd(self.workdir, "g2", [f"net_virtio_user0,path={sock2},mac={vm2_mac}"],
                      ["--forward-mode=rxonly"], main_lcore=0)
        self.addCleanup(vm2.kill)
        self.wait_link(d, "vm2")
        vm1 = self.guest("g1", sock1, ["--forward-mode=io", "--txpkts=1518",
                                       f"--eth-peer=0,{vm2_mac}"])
        self.wait_link(d)

        def to_vm2():
            s = self.port_stats(d)["vm2"]
            return s["tx_packets"] + s["drops"]["tx_full"]

        def burst(expect_completions):
            vm1.send("start tx_first 2")
            z = poll(lambda: self.zc(d), lambda z: z["zcopy_completions"] >= expect_completions,
                     timeout=10)
            vm1.send("stop")
            time.sleep(0.3)
            return self.zc(d)

        z = burst(64)
        self.assertEqual(z["zcopy_packets"], 0, z)
        self.assertEqual(z["zcopy_copied.not_prompt"], 64, z)
        self.assertEqual((z["zcopy_completions"], z["zcopy_inflight"]), (64, 0), z)
        self.assertEqual(self.copied(z), 64, z)
        self.assertEqual(to_vm2(), 64)
        self.assertEqual(self.port_stats(d)["sink"]["tx_packets"], 0)

        # An unknown destination: flooded to vm2, sink and cap.
        vm1.send("set eth-peer 0 02:00:00:00:00:bb")
        z = burst(128)
        self.assertEqual(z["zcopy_completions"], 128, z)
        self.assertEqual(z["zcopy_packets"], 64, z)  # one reference per frame
        self.assertEqual((z["zcopy_copied.not_prompt"], z["zcopy_copied.flood"]), (64, 0), z)
        stats = self.port_stats(d)
        self.assertEqual((stats["sink"]["tx_packets"], stats["cap"]["tx_packets"]), (64, 64))
        self.assertEqual(to_vm2(), 128)

        # No prompt port left to flood to: the original is copied too.
        for port in ("sink", "cap"):
            self.assertTrue(d.control("port", "del", port)["ok"])
        z = burst(192)
        self.assertEqual(z["zcopy_completions"], 192, z)
        self.assertEqual(z["zcopy_packets"], 64, z)
        self.assertEqual(z["zcopy_copied.flood"], 64, z)
        self.assertEqual(to_vm2(), 192)
        self.assertEqual(vm1.quit(), 0, vm1.output()[-2000:])
        self.assertEqual(vm2.quit(), 0, vm2.output()[-2000:])
        self.assertEqual(d.stop(), 0, d.stderr()[-3000:])
        frames = pcap_frames(f"{self.workdir}/cap.pcap")
        self.assertEqual(len(frames), 64)
        self.assertTrue(all(len(f) == 1518 and f == frames[0] for f in frames))

    def test_a_guest_is_never_starved(self):
        # The ring port is never drained: 64 buffers (max_inflight) stay lent
        # for good, and the guest (a 256-entry ring) keeps sending, copied.
        d, tp, _ = self.start_hold(("--forward-mode=txonly", "--txpkts=1518"),
                                   ",queue_size=256", bursts=0)
        tp.send("start")
        first = poll(lambda: self.zc(d), lambda z: z["zcopy_copied.inflight_full"] > 1000,
                     timeout=10)
        tx_first = self.guest_tx(tp)
        for _ in range(10):
            time.sleep(0.3)
            z = self.zc(d)
            self.assertLessEqual(z["zcopy_inflight"], 64, z)
        last = self.zc(d)
        tx_last = self.guest_tx(tp)
        self.assertGreater(tx_last - tx_first, 10000, "the guest stalled")
        self.assertGreater(last["zcopy_copied.inflight_full"] - first["zcopy_copied.inflight_full"],
                           10000, last)
        self.assertEqual((last["zcopy_inflight"], last["zcopy_inflight_max"]), (64, 64), last)
        self.assertEqual((last["zcopy_completions"], last["zcopy_packets"]), (0, 0), last)
        self.assertEqual(tp.quit(), 0, tp.output()[-2000:])
        self.wait_link(d, up=0)
        gone = self.zc(d)
        self.assertEqual((gone["zcopy_abandoned"], gone["zcopy_inflight"]), (64, 0), gone)
        self.assertEqual(d.stop(), 0, d.stderr()[-3000:])

    def test_front_end_dies_while_its_buffers_are_held(self):
        d, tp, sock = self.start_hold()
        guest_memory = self.guest_mappings(d) - self.mappings_before_guest
        self.assertTrue(guest_memory, "the guest's memory is not mapped")
        self.assertEqual(self.zc(d)["zcopy_inflight"], 64)
        tp.proc.send_signal(signal.SIGKILL)
        tp.proc.wait()
        self.wait_link(d, up=0)
        z = self.zc(d)
        self.assertEqual((z["zcopy_abandoned"], z["zcopy_inflight"]), (64, 0), z)
        # Invariant 1: mbufs still point into it, so it stays mapped.
        time.sleep(0.5)
        self.assertTrue(guest_memory <= self.guest_mappings(d),
                        "the guest's memory was unmapped under held buffers")
        sink_before = self.port_stats(d)["sink"]["tx_packets"]
        self.release_hold(d)
        left = poll(lambda: guest_memory & self.guest_mappings(d), lambda m: not m, timeout=2)
        self.assertEqual(left, set(), "the guest's memory is still mapped")
        # The daemon carries on: it answers, and the freed frames went on.
        self.assertGreaterEqual(self.port_stats(d)["sink"]["tx_packets"] - sink_before, 128)
        z = self.zc(d)
        self.assertEqual((z["zcopy_abandoned"], z["zcopy_inflight"], z["zcopy_completions"]),
                         (64, 0, 0), z)
        # A new front-end on the same socket: its frames go by reference.
        self.assertTrue(d.control("fdb", "add", PEER_MAC, "sink")["ok"])
        tp2 = self.guest("g2", sock, ["--forward-mode=io", "--txpkts=1518",
                                      f"--eth-peer=0,{PEER_MAC}"])
        self.wait_link(d)
        tp2.send("start tx_first 2")
        z = poll(lambda: self.zc(d), lambda z: z["zcopy_completions"] >= 64)
        self.assertEqual((z["zcopy_completions"], z["zcopy_packets"], z["zcopy_inflight"]),
                         (64, 64, 0), z)
        self.assertEqual(tp2.quit(), 0, tp2.output()[-2000:])
        self.assertEqual(d.stop(), 0, d.stderr()[-3000:])


if __name__ == "__main__":
    unittest.main()
