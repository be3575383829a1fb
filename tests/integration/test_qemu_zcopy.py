"""Zero-copy with a real Linux guest (QEMU, the kernel's virtio-net driver):
its full-size frames to a net_pcap port go by reference, and a reboot of the
guest under traffic (the device reset, its vrings stopped, the rings and a new
memory table set up again) leaves the switch serving it, also when the reboot
comes while buffers are held: those are abandoned, their old memory stays
mapped until they come back, and then it goes.

The guest pings an address whose neighbour entry is static, so frames go
out without anyone answering: 1514-byte frames, above copy_threshold (1440).
Buffers are held as test_zcopy.py holds them (its file comment): a
`zcopy_ok` net_ring TX queue that no RX queue reads.
"""
import os
import time
import unittest

from guest import GuestTestCase
from test_zcopy import HOLD_CONFIG
from zctest import pcap_frames

CONFIG = """
eal: [-l, "0,1", --no-huge, -m, "512", --no-pci]
forwarding: {mode: io, lcores: [1], pairs: [[g1, cap]]}
ports:
  - {name: g1, type: vhost-user, socket: "%(sock)s"}
  - {name: cap, type: ethdev, devargs: "net_pcap0,tx_pcap=out.pcap"}
"""
PEER_IP = "10.0.0.9"
PEER_MAC = "02:00:00:00:00:99"  # static: behind cap, the hole, or sink
PAYLOAD = 1472  # a 1514-byte frame


def zcopy(d, name):
    """g1's zero-copy counters, by name (reasons as name.reason)."""
    out = {}
    for x in d.control("show", "port", "xstats", name)["data"]["xstats"]:
        if x["name"].startswith("zcopy_"):
            key = x["name"] + ("." + x["reason"] if x.get("reason") else "")
            out[key] = out.get(key, 0) + x["value"]
    return out


class QemuZcopyTest(GuestTestCase):
    def test_guest_lends_and_survives_a_reboot_under_traffic(self):
        self.showing_logs(self.guest_lends_and_survives_a_reboot)

    def send(self, g, count):
        rc, out = g.run(f"arp -s {PEER_IP} {PEER_MAC}")
        self.assertEqual(rc, 0, out)
        # No answer comes: ping's exit code says so, and does not matter.
        g.run(f"ping -c {count} -i 0.05 -s {PAYLOAD} -W 1 {PEER_IP}", timeout=120)

    def guest_lends_and_survives_a_reboot(self):
        sock = os.path.join(self.workdir, "g1.sock")
        d = self.start(self.write("zc.yaml", CONFIG % {"sock": sock}))
        d.wait_ready()
        g = self.boot("g1", sock, "52:54:00:00:00:01", "10.0.0.1/24", reboot=True)
        self.step(g.wait_ready())
        d.wait_metric("zcswitch_port_link_up", 1, port="g1")

        self.send(g, 40)
        zc = zcopy(d, "g1")
        self.step(f"first boot: {zc}")
        self.assertGreaterEqual(zc["zcopy_packets"], 40, zc)
        self.assertEqual(zc["zcopy_head_in_use"], 0, zc)
        big = [f for f in pcap_frames(os.path.join(self.workdir, "out.pcap"))
               if len(f) == 14 + 20 + 8 + PAYLOAD]
        # net_pcap may not have flushed the last ones yet.
        self.assertGreaterEqual(len(big), 1)

        # Reboot while the guest sends: QEMU resets the device (its vrings
        # stop with buffers possibly lent), then the new kernel sets it up again.
        before_reboot = zcopy(d, "g1")["zcopy_packets"]
        mark = g.console_len()
        g.proc.stdin.write(f"ping -i 0.01 -s {PAYLOAD} {PEER_IP} > /dev/null & "
                           "sleep 1; reboot -f\n".encode())
        g.proc.stdin.flush()
        self.step(g.wait_ready(after=mark))
        d.wait_metric("zcswitch_port_link_up", 1, port="g1")
        self.send(g, 40)
        zc = zcopy(d, "g1")
        self.step(f"after the reboot: {zc}")
        self.assertGreaterEqual(zc["zcopy_packets"], before_reboot + 40, zc)
        self.assertEqual(zc["zcopy_head_in_use"], 0, zc)
        self.assertEqual(zc["zcopy_inflight"], 0, zc)
        self.assertEqual(d.control("show", "port", "stats")["ok"], True)
        self.assertEqual(d.stop(), 0, d.stderr())

    def test_reboot_while_buffers_are_held(self):
        self.showing_logs(self.reboot_while_buffers_are_held)

    def shared_mappings(self, d):
        with open(f"/proc/{d.proc.pid}/maps") as f:
            return {line.split()[0] for line in f if line.split()[1][3] == "s"}

    def reboot_while_buffers_are_held(self):
        sock = os.path.join(self.workdir, "g1.sock")
        d = self.start(self.write("hold.yaml", HOLD_CONFIG % {"peer": PEER_MAC, "sock": sock,
                                                                 "guest": "g1"}))
        d.wait_ready()
        lcores = d.control("show", "lcore", "stats")["data"]["lcores"]
        self.assertEqual([[(q["port"], q["queue"]) for q in l["queues"]] for l in lcores],
                         [[("hole", 0), ("sink", 0)], [("g1", 0)]])
        without_guest = self.shared_mappings(d)
        g = self.boot("g1", sock, "52:54:00:00:00:01", "10.0.0.1/24", reboot=True)
        self.step(g.wait_ready())
        d.wait_metric("zcswitch_port_link_up", 1, port="g1")
        first_memory = self.shared_mappings(d) - without_guest
        self.assertTrue(first_memory)

        self.send(g, 100)
        zc = zcopy(d, "g1")
        self.step(f"held: {zc}")
        self.assertEqual(zc["zcopy_inflight"], 64, zc)
        self.assertGreaterEqual(zc["zcopy_copied.inflight_full"], 100 - 64, zc)

        # The reboot stops the vrings with 64 buffers in the ring port: they
        # are waited for (50 ms), then abandoned; the new boot maps its memory
        # again while the old mapping stays for them.
        mark = g.console_len()
        g.proc.stdin.write(b"reboot -f\n")
        g.proc.stdin.flush()
        self.step(g.wait_ready(after=mark))
        d.wait_metric("zcswitch_port_link_up", 1, port="g1")
        zc = zcopy(d, "g1")
        self.step(f"rebooted: {zc}")
        self.assertEqual(zc["zcopy_abandoned"], 64, zc)
        self.assertEqual(zc["zcopy_inflight"], 0, zc)
        self.assertLessEqual(first_memory, self.shared_mappings(d),
                             "guest memory unmapped under held buffers")

        # The new boot's frames go by reference to sink.
        self.assertTrue(d.control("fdb", "add", PEER_MAC, "sink")["ok"])
        before = zc["zcopy_packets"]
        self.send(g, 20)
        zc = zcopy(d, "g1")
        self.assertGreaterEqual(zc["zcopy_packets"], before + 20, zc)
        self.assertEqual(zc["zcopy_inflight"], 0, zc)

        # Released, the abandoned buffers take their old memory with them.
        self.assertTrue(d.control("port", "del", "hole")["ok"])
        self.assertTrue(d.control("port", "add", "reader", "ethdev", "net_ring0", "queues",
                                  "2")["ok"])
        deadline = time.time() + 5
        while first_memory & self.shared_mappings(d) and time.time() < deadline:
            time.sleep(0.1)
        self.assertFalse(first_memory & self.shared_mappings(d),
                         "the first boot's memory is still mapped")
        zc = zcopy(d, "g1")
        self.assertEqual(zc["zcopy_head_in_use"], 0, zc)
        self.assertEqual(zc["zcopy_abandoned"], 64, zc)  # never written to the new rings
        self.assertEqual(d.stop(), 0, d.stderr())


if __name__ == "__main__":
    unittest.main()
