"""The vhost-user backend against DPDK's virtio-user front-end (dpdk-testpmd).

testpmd replays a pcap into its virtio-user port and writes what comes back
into another pcap: with zcswitchd in macswap mode, every frame must come back
byte for byte with its MACs swapped, so both directions are checked exactly.
testpmd's own txonly packets also go one way, into a pcap on the daemon's side,
which must hold exactly as many as were sent. `set fwd` changes the mode of the
running daemon between front-ends, and while one sends.
"""
import os
import re
import struct
import time
import unittest

from zctest import DaemonTestCase, Testpmd, final_port_stats, pcap_frames, pcaptool

MACSWAP = """
eal: [-l, "0,1", --no-huge, -m, "512", --no-pci]
forwarding: {mode: macswap, lcores: [1], tx_retries: %(retries)d}
ports:
  - {name: vm1, type: vhost-user, socket: "%(sock)s", queues: %(queues)d}
"""


class VirtioUserTest(DaemonTestCase):
    def start_testpmd(self, name, sock, pcap_in, pcap_out, args=(), queues=1, virtio_args=""):
        vdevs = [f"net_pcap0,rx_pcap={pcap_in},tx_pcap={pcap_out}",
                 f"net_virtio_user0,path={sock},queues={queues},queue_size=1024{virtio_args}"]
        # testpmd does not poll its receive queue while it retries a send, so
        # its rings must hold a whole test's packets, or the switch (rightly)
        # drops what the guest has no room for.
        tp = Testpmd(self.workdir, name, vdevs, ["--forward-mode=io", "--no-flush-rx",
                                                 f"--rxq={queues}", f"--txq={queues}",
                                                 "--rxd=1024", "--txd=1024", *args])
        self.addCleanup(tp.kill)
        return tp

    def macswap_round_trip(self, count, sizes, queues=1, testpmd_args=(), retries=8,
                           virtio_args=""):
        sock = os.path.join(self.workdir, "vm1.sock")
        pcaptool("gen", f"{self.workdir}/in.pcap", count, sizes)
        d = self.start(self.write("zc.yaml", MACSWAP % {"sock": sock, "queues": queues, "retries": retries}))
        d.wait_ready()
        tp = self.start_testpmd("a", sock, "in.pcap", "back.pcap", testpmd_args, queues,
                                virtio_args)
        d.wait_metric("zcswitch_port_link_up", 1, port="vm1")
        tp.send("set fwd io retry", "set burst tx delay 50 retry 10000", "start")
        try:
            d.wait_metric("zcswitch_port_tx_packets_total", count, timeout=20, port="vm1")
        except AssertionError:
            print(d.control("show", "port", "stats")["text"])
            raise
        self.wait_testpmd_wrote(tp, count)
        time.sleep(0.5)  # anything more would have come by now
        self.assertEqual(tp.quit(), 0, tp.output())
        rc, out = pcaptool("cmp", "--swap-macs", f"{self.workdir}/in.pcap",
                           f"{self.workdir}/back.pcap", check=False)
        self.assertEqual(rc, 0, out + tp.output()[-3000:])
        # The front-end has quit: the link goes down.
        deadline = time.time() + 10
        while d.metric("zcswitch_port_link_up", port="vm1") != 0 and time.time() < deadline:
            time.sleep(0.1)
        self.assertEqual(d.metric("zcswitch_port_link_up", port="vm1"), 0)
        self.assertEqual(d.stop(), 0, d.stderr())
        stats = final_port_stats(d.stdout())
        self.assertEqual(stats["vm1"]["rx-packets"], count)
        self.assertEqual(stats["vm1"]["tx-packets"], count)
        self.assertEqual(stats["vm1"]["tx-dropped"], 0)
        return d

    def test_show_vhost(self):
        sock = os.path.join(self.workdir, "vm1.sock")
        pcaptool("gen", f"{self.workdir}/in.pcap", 10, 64)
        d = self.start(self.write("zc.yaml", MACSWAP % {"sock": sock, "queues": 1, "retries": 8}))
        d.wait_ready()
        alone = d.control("show", "vhost", "vm1")
        self.assertTrue(alone["ok"], alone)
        self.assertEqual((alone["data"]["connected"], alone["data"]["features"],
                          alone["data"]["memory_regions"]), (False, 0, []))
        self.assertIn("no front-end", alone["text"])
        tp = self.start_testpmd("a", sock, "in.pcap", "back.pcap")
        d.wait_metric("zcswitch_port_link_up", 1, port="vm1")
        info = d.control("show", "vhost", "vm1")["data"]
        self.assertTrue(info["connected"])
        self.assertEqual((info["mode"], info["socket"]), ("server", sock))
        # What DPDK's virtio-user negotiates by default.
        for name in ("VERSION_1", "MRG_RXBUF", "PROTOCOL_FEATURES"):
            self.assertIn(name, info["feature_names"])
        self.assertNotIn("EVENT_IDX", info["feature_names"])
        self.assertEqual([(v["index"], v["direction"], v["size"], v["live"])
                          for v in info["vrings"]],
                         [(0, "rx", 1024, True), (1, "tx", 1024, True)])
        self.assertGreaterEqual(len(info["memory_regions"]), 1)
        self.assertTrue(all(r["size"] > 0 for r in info["memory_regions"]))
        for words, error in ((("show", "vhost", "ghost"), "no port named \"ghost\""),
                             (("show", "vhost"), "usage: show vhost NAME")):
            reply = d.control(*words)
            self.assertFalse(reply["ok"], reply)
            self.assertIn(error, reply["error"])
        self.assertEqual(tp.quit(), 0, tp.output())
        deadline = time.time() + 10
        while d.control("show", "vhost", "vm1")["data"]["connected"] and time.time() < deadline:
            time.sleep(0.1)
        gone = d.control("show", "vhost", "vm1")["data"]
        self.assertEqual((gone["connected"], gone["memory_regions"]), (False, []))
        self.assertEqual(d.stop(), 0, d.stderr())

    def test_64_to_1518_bytes_both_ways(self):
        d = self.macswap_round_trip(1000, "60,64,128,512,1024,1500,1518")
        self.assertIn("front-end connected", d.stderr())
        self.assertIn("front-end disconnected", d.stderr())

    def test_without_mergeable_buffers(self):
        # Each packet then fills one receive buffer, header included.
        d = self.macswap_round_trip(500, "60,512,1518", virtio_args=",mrg_rxbuf=0")
        self.assertEqual(d.stderr().count("front-end connected"), 1)

    def test_jumbo_frames_both_ways(self):
        # testpmd needs the mbuf size before the packet length, or it quietly
        # falls back to small packets.
        self.macswap_round_trip(200, "9000,1518,9000,64", testpmd_args=(
            "--mbuf-size=10240", "--max-pkt-len=9600"))

    def test_two_queue_pairs_each_both_ways(self):
        # Two forwarding lcores (both on the second CPU), so that what comes in
        # on queue pair q goes back out on queue pair q.
        sock = os.path.join(self.workdir, "vm1.sock")
        for name, sizes in (("q0", "64,1000"), ("q1", "128,1518")):
            pcaptool("gen", f"{self.workdir}/{name}.pcap", 300, sizes)
        config = self.write("zc.yaml", """
eal: [--lcores, "0@0,(1-2)@1", --no-huge, -m, "512", --no-pci]
forwarding: {mode: macswap, lcores: [1, 2]}
ports:
  - {name: vm1, type: vhost-user, socket: "%s", queues: 2}
""" % sock)
        d = self.start(config)
        d.wait_ready()
        vdevs = ["net_pcap0,rx_pcap=q0.pcap,rx_pcap=q1.pcap,tx_pcap=b0.pcap,tx_pcap=b1.pcap",
                 f"net_virtio_user0,path={sock},queues=2,queue_size=1024"]
        tp = Testpmd(self.workdir, "mq", vdevs, ["--forward-mode=io", "--no-flush-rx",
                                                 "--rxq=2", "--txq=2", "--rxd=1024",
                                                 "--txd=1024"])
        self.addCleanup(tp.kill)
        d.wait_metric("zcswitch_port_link_up", 1, port="vm1")
        tp.send("set fwd io retry", "set burst tx delay 50 retry 10000", "start")
        d.wait_metric("zcswitch_port_tx_packets_total", 600, port="vm1")
        # Sent by the switch is not yet written by testpmd.
        self.wait_testpmd_wrote(tp, 600)
        self.assertEqual(tp.quit(), 0, tp.output())
        for q in ("0", "1"):
            rc, out = pcaptool("cmp", "--swap-macs", f"{self.workdir}/q{q}.pcap",
                               f"{self.workdir}/b{q}.pcap", check=False)
            self.assertEqual(rc, 0, f"queue {q}: {out}")
        lcores = d.control("show", "lcore", "stats")["data"]["lcores"]
        self.assertEqual([l["packets"] for l in lcores], [300, 300])  # a queue pair each
        self.assertEqual(d.stop(), 0, d.stderr())
        self.assertEqual(final_port_stats(d.stdout())["vm1"]["rx-packets"], 600)

    def test_txonly_into_a_pcap_exactly(self):
        # The guest's transmit path alone: testpmd's txonly packets, a fixed
        # number of bursts per queue, go through zcswitchd (io) into a pcap,
        # which must hold exactly that many, each whole.
        for size, queues in ((64, 1), (1518, 2), (9000, 2)):
            with self.subTest(size=size, queues=queues):
                self.txonly_into_pcap(size, queues)

    def txonly_into_pcap(self, size, queues, bursts=8):
        sock = os.path.join(self.workdir, f"tx{size}.sock")
        out = os.path.join(self.workdir, f"tx{size}.pcap")
        d = self.start(self.write(f"tx{size}.yaml", """
eal: [-l, "0,1", --no-huge, -m, "512", --no-pci]
forwarding: {mode: io, lcores: [1], pairs: [[vm1, cap]]}
ports:
  - {name: vm1, type: vhost-user, socket: "%s", queues: %d}
  - {name: cap, type: ethdev, devargs: "net_pcap0,tx_pcap=%s"}
""" % (sock, queues, out)))
        d.wait_ready()
        jumbo = ["--mbuf-size=10240", "--max-pkt-len=9600"] if size > 2048 else []
        tp = Testpmd(self.workdir, f"tx{size}", [f"net_virtio_user0,path={sock},queues={queues}"],
                     [*jumbo, "--forward-mode=io", f"--txpkts={size}", f"--rxq={queues}",
                      f"--txq={queues}"])
        self.addCleanup(tp.kill)
        d.wait_metric("zcswitch_port_link_up", 1, port="vm1")
        # io forwarding on a port alone sends the first bursts and nothing more.
        tp.send(f"start tx_first {bursts}")
        expected = bursts * 32 * queues
        d.wait_metric("zcswitch_port_tx_packets_total", expected, port="cap")
        time.sleep(0.5)
        self.assertEqual(tp.quit(), 0, tp.output())
        self.assertEqual(d.stop(), 0, d.stderr())
        stats = final_port_stats(d.stdout())
        self.assertEqual(stats["vm1"]["rx-packets"], expected)
        self.assertEqual(stats["cap"]["tx-packets"], expected)
        with open(out, "rb") as f:
            data = f.read()
        lengths, first, off = [], None, 24
        while off < len(data):
            caplen, wirelen = struct.unpack_from("<II", data, off + 8)
            frame = data[off + 16:off + 16 + caplen]
            first = first or frame
            # txonly's frames: one template, IPv4/UDP.
            self.assertEqual(frame[12:14], b"\x08\x00")
            self.assertEqual(frame[23], 17)
            self.assertEqual(frame[:14], first[:14])
            lengths.append(wirelen if caplen == wirelen else -1)
            off += 16 + caplen
        self.assertEqual(lengths, [size] * expected)

    def wait_testpmd_wrote(self, tp, count, timeout=20):
        """Waits until testpmd's port 0 (its net_pcap) has sent `count`
        packets: what came back is then all in its capture. It may lag behind
        the switch while it retries a send (and polls nothing else)."""
        deadline = time.time() + timeout
        sent = None
        while time.time() < deadline:
            tp.send("show port stats 0")
            time.sleep(0.3)
            blocks = re.findall(r"NIC statistics for port 0.*?TX-packets: +(\d+)", tp.output(),
                                re.S)
            sent = int(blocks[-1]) if blocks else None
            if sent is not None and sent >= count:
                return
        raise AssertionError(f"testpmd wrote {sent} of {count} packets\n{tp.output()[-3000:]}")

    def replay_through(self, d, sock, name, count, sizes, until_port, until, back=0,
                       while_up=None):
        """A testpmd front-end on `sock` replays `count` frames of `name`.pcap
        into the switch and writes what comes back to back-`name`.pcap, until
        `until_port` has sent `until` packets in all and testpmd has written
        `back` of them; then `while_up()` runs, and testpmd quits. Returns
        (frames sent, frames back)."""
        pcaptool("gen", f"{self.workdir}/{name}.pcap", count, sizes)
        tp = self.start_testpmd(name, sock, f"{name}.pcap", f"back-{name}.pcap")
        d.wait_metric("zcswitch_port_link_up", 1, port="vm1")
        tp.send("set fwd io retry", "set burst tx delay 50 retry 10000", "start")
        d.wait_metric("zcswitch_port_tx_packets_total", until, port=until_port)
        self.wait_testpmd_wrote(tp, back)
        time.sleep(0.5)  # anything more would have come by now
        if while_up is not None:
            while_up()
        self.assertEqual(tp.quit(), 0, tp.output())
        deadline = time.time() + 10
        while d.metric("zcswitch_port_link_up", port="vm1") != 0 and time.time() < deadline:
            time.sleep(0.1)
        return pcap_frames(f"{self.workdir}/{name}.pcap"), \
            pcap_frames(f"{self.workdir}/back-{name}.pcap")

    def test_set_fwd_switches_the_running_mode(self):
        # One daemon, three front-ends in turn on its server-mode port vm1,
        # each under another mode set at run time: l2switch floods to the
        # capture port, macswap sends every frame back swapped, io sends by
        # the configured pair. A bad `set fwd` is refused and changes nothing.
        sock = os.path.join(self.workdir, "vm1.sock")
        d = self.start(self.write("zc.yaml", """
eal: [-l, "0,1", --no-huge, -m, "512", --no-pci]
forwarding: {mode: l2switch, lcores: [1], pairs: [[vm1, cap]]}
ports:
  - {name: vm1, type: vhost-user, socket: "%s"}
  - {name: cap, type: ethdev, devargs: "net_pcap0,tx_pcap=cap.pcap"}
""" % sock))
        d.wait_ready()

        def mode():
            reply = d.control("show", "fwd")
            self.assertTrue(reply["ok"], reply)
            return reply["data"]["mode"]

        def set_fwd(*words):
            reply = d.control("set", "fwd", *words)
            if reply["ok"]:
                self.assertEqual(reply["data"]["mode"], words[0])
            return reply

        self.assertEqual(mode(), "l2switch")
        # l2switch: 02:00:00:00:00:02 is unknown, so each frame is flooded to
        # every other port: cap, and nothing back to vm1. The sender is
        # learned on vm1 (and forgotten when vm1's link goes down).
        def sender_learned():
            entries = d.control("show", "fdb")["data"]["entries"]
            self.assertIn(("02:00:00:00:00:01", 0, "vm1", "learned"),
                          {(e["mac"].lower(), e["vlan"], e["port"], e["type"]) for e in entries})

        sent, back = self.replay_through(d, sock, "l2", 100, "64,1518", "cap", 100,
                                         while_up=sender_learned)
        self.assertEqual(back, [])
        cap_expected = sent

        self.assertTrue(set_fwd("macswap")["ok"])
        self.assertEqual(mode(), "macswap")
        for words in (["bogus"], [], ["io", "macswap"], ["IO"]):
            reply = set_fwd(*words)
            self.assertFalse(reply["ok"], f"set fwd {words}: {reply}")
            self.assertIn("set fwd", reply["error"])
            self.assertEqual(mode(), "macswap", f"after set fwd {words}")
        # Still macswap: every frame comes back, in order, MACs swapped; none
        # goes to cap.
        sent, back = self.replay_through(d, sock, "swap", 300, "60,64,512,1518", "vm1", 300,
                                         back=300)
        self.assertEqual(back, [f[6:12] + f[:6] + f[12:] for f in sent])
        self.assertEqual(d.metric("zcswitch_port_tx_packets_total", port="cap"), 100)

        self.assertTrue(set_fwd("io")["ok"])
        self.assertEqual(mode(), "io")
        # io: vm1's frames go to cap as they are, whatever their MACs.
        sent, back = self.replay_through(d, sock, "io", 200, "64,1000", "cap", 300)
        self.assertEqual(back, [])
        cap_expected = cap_expected + sent

        self.assertTrue(set_fwd("l2switch")["ok"])
        self.assertEqual(mode(), "l2switch")
        self.assertEqual(d.stop(), 0, d.stderr())
        self.assertEqual(pcap_frames(f"{self.workdir}/cap.pcap"), cap_expected)
        stats = final_port_stats(d.stdout())
        self.assertEqual(stats["vm1"]["rx-packets"], 600)
        self.assertEqual(stats["vm1"]["tx-packets"], 300)
        self.assertEqual(stats["cap"]["tx-packets"], 300)
        self.assertEqual(d.stderr().count("front-end connected"), 3)

    def test_set_fwd_io_needs_pairs(self):
        # io forwards by forwarding.pairs: without any, `set fwd io` is refused
        # (it would drop everything) and the mode stays as it was.
        d = self.start(self.write("zc.yaml", """
eal: [-l, "0,1", --no-huge, -m, "512", --no-pci]
forwarding: {mode: macswap, lcores: [1]}
ports:
  - {name: vm1, type: vhost-user, socket: "%s"}
""" % os.path.join(self.workdir, "vm1.sock")))
        d.wait_ready()
        reply = d.control("set", "fwd", "io")
        self.assertFalse(reply["ok"], reply)
        self.assertEqual(d.control("show", "fwd")["data"]["mode"], "macswap")
        self.assertEqual(d.stop(), 0, d.stderr())

    def test_set_fwd_while_a_guest_sends(self):
        # A txonly guest sends without pause while the mode changes 30 times:
        # each change is acknowledged, the data plane never stops, and the
        # daemon exits cleanly.
        sock = os.path.join(self.workdir, "vm1.sock")
        d = self.start(self.write("zc.yaml", """
eal: [-l, "0,1", --no-huge, -m, "512", --no-pci]
forwarding: {mode: l2switch, lcores: [1], pairs: [[vm1, sink]]}
ports:
  - {name: vm1, type: vhost-user, socket: "%s"}
  - {name: sink, type: ethdev, devargs: "net_null0,no-rx=1"}
""" % sock))
        d.wait_ready()
        tp = Testpmd(self.workdir, "load", [f"net_virtio_user0,path={sock},queue_size=1024"],
                     ["--forward-mode=txonly", "--txpkts=64"])
        self.addCleanup(tp.kill)
        d.wait_metric("zcswitch_port_link_up", 1, port="vm1")
        tp.send("start")
        d.wait_metric("zcswitch_port_rx_packets_total", 10000, port="vm1")
        modes = ["macswap", "io", "l2switch"] * 10
        for m in modes:
            reply = d.control("set", "fwd", m)
            self.assertTrue(reply["ok"], reply)
            self.assertEqual(d.control("show", "fwd")["data"]["mode"], m)
            time.sleep(0.05)
        # io last but one, l2switch last: both send vm1's frames to sink.
        before = d.metric("zcswitch_port_tx_packets_total", port="sink")
        d.wait_metric("zcswitch_port_tx_packets_total", before + 10000, port="sink")
        # `set fwd` returns once no lcore runs the old mode: from then on,
        # macswap sends vm1's frames back to vm1 (whose txonly guest never
        # reads them, so all but a ring's worth are tx_full drops) and not a
        # single one more to sink.
        self.assertTrue(d.control("set", "fwd", "macswap")["ok"])
        sink_then = d.metric("zcswitch_port_tx_packets_total", port="sink")
        back_then = (d.metric("zcswitch_port_tx_packets_total", port="vm1") +
                     d.metric("zcswitch_port_drops_total", port="vm1", reason="tx_full"))
        time.sleep(1)
        self.assertEqual(d.metric("zcswitch_port_tx_packets_total", port="sink"), sink_then)
        back_now = (d.metric("zcswitch_port_tx_packets_total", port="vm1") +
                    d.metric("zcswitch_port_drops_total", port="vm1", reason="tx_full"))
        self.assertGreater(back_now - back_then, 10000)
        modes.append("macswap")
        self.assertEqual(tp.quit(), 0, tp.output())
        self.assertEqual(d.stop(), 0, d.stderr())
        self.assertEqual(d.stderr().count("zcswitchd: forwarding mode"), len(modes))
        stats = final_port_stats(d.stdout())
        self.assertGreater(stats["sink"]["tx-packets"], 10000)

    def test_client_mode_reconnects_ten_times(self):
        # zcswitchd connects to a front-end that listens (virtio-user's
        # server=1, as QEMU's server=on): it waits for it, and comes back each
        # time it is restarted. Each time traffic flows, the link is down in
        # between, and the daemon's fds and mappings return to where they were.
        sock = os.path.join(self.workdir, "vm1.sock")
        pcaptool("gen", f"{self.workdir}/in.pcap", 100, "64,1518")
        d = self.start(self.write("zc.yaml", """
eal: [-l, "0,1", --no-huge, -m, "512", --no-pci]
forwarding: {mode: macswap, lcores: [1]}
ports:
  - {name: vm1, type: vhost-user, socket: "%s", mode: client}
""" % sock))
        d.wait_ready()
        self.assertIn("no front-end listening", d.stderr())
        baseline = d.footprint()
        for i in range(10):
            vdevs = [f"net_pcap0,rx_pcap=in.pcap,tx_pcap=back{i}.pcap",
                     f"net_virtio_user0,path={sock},server=1,queue_size=1024"]
            tp = Testpmd(self.workdir, f"r{i}", vdevs, ["--forward-mode=io", "--no-flush-rx",
                                                       "--rxd=1024", "--txd=1024"])
            self.addCleanup(tp.kill)
            d.wait_metric("zcswitch_port_link_up", 1, port="vm1")
            tp.send("set fwd io retry", "set burst tx delay 50 retry 10000", "start")
            d.wait_metric("zcswitch_port_tx_packets_total", 100 * (i + 1), port="vm1")
            self.wait_testpmd_wrote(tp, 100)
            self.assertEqual(tp.quit(), 0, tp.output())
            rc, out = pcaptool("cmp", "--swap-macs", f"{self.workdir}/in.pcap",
                               f"{self.workdir}/back{i}.pcap", check=False)
            self.assertEqual(rc, 0, f"round {i}: {out}")
            deadline = time.time() + 10
            while d.metric("zcswitch_port_link_up", port="vm1") != 0 and time.time() < deadline:
                time.sleep(0.1)
            self.assertEqual(d.metric("zcswitch_port_link_up", port="vm1"), 0, f"round {i}")
            self.assertEqual(d.settled_footprint(baseline), baseline,
                             f"round {i}: fds and mappings")
        self.assertEqual(d.stderr().count("front-end connected"), 10)
        self.assertEqual(d.stop(), 0, d.stderr())


if __name__ == "__main__":
    unittest.main()
