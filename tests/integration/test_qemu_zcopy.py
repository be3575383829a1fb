"""Zero-copy with a real Linux guest (QEMU, the kernel's virtio-net driver):
its full-size frames to a net_pcap port go by reference, and a reboot of the
guest under traffic (the device reset, its vrings stopped with buffers lent,
the rings and memory table set up again) leaves the switch serving it.

The guest pings an address whose neighbour entry is static, so frames go
out without anyone answering: 1514-byte frames, above copy_threshold (1440),
which io mode sends to `cap` (net_pcap, which takes them by reference).
"""
import os
import time
import unittest

from guest import GuestTestCase
from zctest import pcap_frames

CONFIG = """
eal: [-l, "0,1", --no-huge, -m, "512", --no-pci]
forwarding: {mode: io, lcores: [1], pairs: [[g1, cap]]}
ports:
  - {name: g1, type: vhost-user, socket: "%(sock)s"}
  - {name: cap, type: ethdev, devargs: "net_pcap0,tx_pcap=out.pcap"}
"""
PEER_IP = "10.0.0.9"
PEER_MAC = "02:00:00:00:00:99"
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


if __name__ == "__main__":
    unittest.main()
