"""Two real Linux guests (QEMU, the kernel's virtio-net driver) talk through
zcswitchd's vhost-user ports.

g1's port listens (QEMU connects); g2's port is in client mode (QEMU listens).
In io mode the pair [g1, g2] forwards each guest's frames to the other, ARP
included, so the guests ping each other and move a TCP stream whose checksum
must match at both ends, while the port counters account for every frame.
"""
import os
import time
import unittest

from guest import GuestTestCase, tcp_transfer

CONFIG = """
eal: [-l, "0,1", --no-huge, -m, "512", --no-pci]
forwarding: {mode: io, lcores: [1], pairs: [[g1, g2]]}
ports:
  - {name: g1, type: vhost-user, socket: "%(g1)s"}
  - {name: g2, type: vhost-user, socket: "%(g2)s", mode: client}
"""
TRANSFER_BYTES = 4 << 20
PINGS = 20


class QemuGuestsTest(GuestTestCase):
    def test_two_guests_ping_and_tcp(self):
        self.showing_logs(self.two_guests_ping_and_tcp)

    def two_guests_ping_and_tcp(self):
        socks = {n: os.path.join(self.workdir, f"{n}.sock") for n in ("g1", "g2")}
        d = self.start(self.write("zc.yaml", CONFIG % socks))
        d.wait_ready()
        self.step("zcswitchd forwarding")
        g1 = self.boot("g1", socks["g1"], "52:54:00:00:00:01", "10.0.0.1/24")
        g2 = self.boot("g2", socks["g2"], "52:54:00:00:00:02", "10.0.0.2/24", server=True)
        for g in (g1, g2):
            self.step(f"{g.name}: {g.wait_ready()}")
        for name in ("g1", "g2"):
            d.wait_metric("zcswitch_port_link_up", 1, port=name)
        stats = self.port_stats(d)
        self.assertTrue(stats["g1"]["link_up"] and stats["g2"]["link_up"], stats)
        self.step("both links up")
        # ethtool is in the image for offload work; the guests negotiate
        # whatever the daemon offers.
        rc, out = g1.run("ethtool -k eth0")
        self.assertEqual(rc, 0, out)
        self.assertIn("tcp-segmentation-offload:", out)
        self.step("g1 offloads: " + ", ".join(
            l.strip() for l in out.splitlines()
            if l.startswith(("rx-checksumming", "tx-checksumming", "tcp-segmentation-offload"))))

        for src, dst in ((g1, "10.0.0.2"), (g2, "10.0.0.1")):
            rc, out = src.run(f"ping -c {PINGS} -i 0.2 -W 10 {dst}", timeout=90)
            self.assertEqual(rc, 0, out)
            self.assertRegex(out, rf"{PINGS} packets transmitted, {PINGS} packets received, "
                                  r"0% packet loss", out)
            self.step(f"{src.name} -> {dst}: {PINGS} pings, none lost")
        after_ping = self.port_stats(d)
        for name in ("g1", "g2"):
            # Each side sent its requests and the other's replies (and ARP).
            self.assertGreaterEqual(after_ping[name]["rx_packets"] - stats[name]["rx_packets"],
                                    2 * PINGS, after_ping)
            self.assertGreaterEqual(after_ping[name]["tx_packets"] - stats[name]["tx_packets"],
                                    2 * PINGS, after_ping)

        sent, received, length, timing = tcp_transfer(g1, g2, "10.0.0.2", TRANSFER_BYTES)
        self.step(f"g1 sent {TRANSFER_BYTES} B over TCP: {timing}")
        self.assertEqual(length, TRANSFER_BYTES)
        self.assertEqual(received, sent)
        self.step("g2 received the same sha256")

        after_tcp = self.port_stats(d)
        self.assertGreaterEqual(after_tcp["g1"]["rx_bytes"] - after_ping["g1"]["rx_bytes"],
                                TRANSFER_BYTES, after_tcp)
        self.assertGreaterEqual(after_tcp["g2"]["tx_bytes"] - after_ping["g2"]["tx_bytes"],
                                TRANSFER_BYTES, after_tcp)
        # Every frame a guest sent went to the other one or is counted as a
        # drop on the way out. The guests are idle now, but a frame may be
        # between RX and TX for a moment.
        deadline = time.monotonic() + 10
        while True:
            stats = self.port_stats(d)
            balanced = all(stats[a]["rx_packets"] == stats[b]["tx_packets"]
                           + stats[b]["drops"]["tx_full"] + stats[b]["drops"]["link_down"]
                           for a, b in (("g1", "g2"), ("g2", "g1")))
            if balanced or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertTrue(balanced, stats)
        self.step("counters: " + "; ".join(
            f"{n} rx {s['rx_packets']} tx {s['tx_packets']} drops {s['drops']}"
            for n, s in stats.items()))

        for g in (g1, g2):
            g.close()
        self.assertEqual(d.stop(), 0, d.stderr())
        self.step("guests and zcswitchd stopped")


if __name__ == "__main__":
    unittest.main()
