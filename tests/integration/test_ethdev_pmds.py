"""ethdev ports on other virtual PMDs than net_pcap.

- net_ring: a ring port loops what it is sent back to itself, so a pcap sent
  into it through an io pair comes back out of the pcap port unchanged.
- net_af_packet: two network namespaces the test creates, each behind a veth
  pair whose outer end is an af_packet port, ping each other through
  zcswitchd in io mode.
- net_tap: frames the kernel sends on the tap interface come out of a pcap
  port, and frames from a pcap port reach the kernel on the tap interface.
The kernel tests need root, /dev/net/tun and `ip netns`; they are skipped
(and say so) where the machine has none of them, as in a container without
CAP_NET_ADMIN.
"""
import os
import socket
import struct
import subprocess
import unittest

from zctest import DaemonTestCase, final_port_stats, pcaptool

RING_CONFIG = """
eal: [-l, "0,1", --no-huge, -m, "512", --no-pci]
forwarding: {mode: io, lcores: [1], pairs: [[wire, loop]]}
ports:
  - {name: wire, type: ethdev, devargs: "net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap"}
  - {name: loop, type: ethdev, devargs: net_ring0}
"""

VETH_CONFIG = """
eal: [-l, "0,1", --no-huge, -m, "512", --no-pci]
forwarding: {mode: io, lcores: [1], pairs: [[left, right]]}
ports:
  - {name: left, type: ethdev, devargs: "net_af_packet0,iface=%(left)s"}
  - {name: right, type: ethdev, devargs: "net_af_packet1,iface=%(right)s"}
"""

TAP_CONFIG = """
eal: [-l, "0,1", --no-huge, -m, "512", --no-pci]
forwarding: {mode: io, lcores: [1], pairs: [[tap, wire]]}
ports:
  - {name: tap, type: ethdev, devargs: "net_tap0,iface=%(tap)s"}
  - {name: wire, type: ethdev, devargs: "net_pcap0,%(wire)s"}
"""

OUR_SRC_MAC = bytes.fromhex("020000000001")


def read_pcap(path):
    """The frames of a pcap file (classic format, as libpcap writes it)."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    frames, off = [], 24
    while off + 16 <= len(data):
        caplen = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
        frames.append(data[off + 16:off + 16 + caplen])
        off += 16 + caplen
    return frames


def sh(*args, check=True):
    return subprocess.run(args, capture_output=True, text=True, check=check)


def can_use_netns():
    if os.geteuid() != 0 or not os.path.exists("/dev/net/tun"):
        return False
    name = f"zcprobe{os.getpid()}"
    if sh("ip", "netns", "add", name, check=False).returncode != 0:
        return False
    sh("ip", "netns", "del", name, check=False)
    return True


class RingTest(DaemonTestCase):
    def test_ring_loops_back_unchanged(self):
        pcaptool("gen", f"{self.workdir}/in.pcap", 400, "64,700,1518")
        d = self.start(self.write("zc.yaml", RING_CONFIG))
        d.wait_ready()
        d.wait_metric("zcswitch_port_tx_packets_total", 400, port="wire")
        self.assertEqual(d.stop(), 0, d.stderr())
        rc, out = pcaptool("cmp", f"{self.workdir}/in.pcap", f"{self.workdir}/out.pcap",
                           check=False)
        self.assertEqual(rc, 0, out)
        stats = final_port_stats(d.stdout())
        self.assertEqual(stats["loop"]["tx-packets"], 400)
        self.assertEqual(stats["loop"]["rx-packets"], 400)


@unittest.skipUnless(can_use_netns(), "needs root, /dev/net/tun and ip netns")
class KernelPeerTest(DaemonTestCase):
    """Real kernel network stacks on the other side of zcswitchd's ports."""

    def setUp(self):
        super().setUp()
        self.tag = f"{os.getpid() % 100000}"
        self.netns = []
        self.links = []

    def tearDown(self):
        super().tearDown()
        for link in self.links:
            sh("ip", "link", "del", link, check=False)
        for ns in self.netns:
            sh("ip", "netns", "del", ns, check=False)

    def veth_into_netns(self, side, addr):
        """A veth pair: one end stays here for the switch, one end goes into a
        new namespace with `addr`. Returns the switch's end."""
        ns, outer, inner = f"zcns{side}{self.tag}", f"zc{side}o{self.tag}", f"zc{side}i{self.tag}"
        sh("ip", "netns", "add", ns)
        self.netns.append(ns)
        sh("ip", "link", "add", outer, "type", "veth", "peer", "name", inner)
        self.links.append(outer)
        sh("sysctl", "-qw", f"net.ipv6.conf.{outer}.disable_ipv6=1")
        sh("ip", "link", "set", inner, "netns", ns)
        sh("ip", "-n", ns, "addr", "add", f"{addr}/24", "dev", inner)
        sh("ip", "-n", ns, "link", "set", inner, "up")
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "link", "set", outer, "up")
        return outer

    def test_namespaces_ping_through_af_packet_ports(self):
        # Addresses live only inside the test's own namespaces.
        left = self.veth_into_netns("l", "10.213.0.1")
        right = self.veth_into_netns("r", "10.213.0.2")
        d = self.start(self.write("zc.yaml", VETH_CONFIG % {"left": left, "right": right}))
        d.wait_ready()
        r = sh("ip", "netns", "exec", f"zcnsl{self.tag}", "ping", "-c", "20", "-i", "0.05",
               "-W", "2", "10.213.0.2", check=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr + d.stderr())
        self.assertIn(" 0% packet loss", r.stdout)
        self.assertEqual(d.stop(), 0, d.stderr())
        stats = final_port_stats(d.stdout())
        # The 20 echo requests went right and the 20 replies left (plus ARP).
        self.assertGreaterEqual(stats["right"]["tx-packets"], 20)
        self.assertGreaterEqual(stats["left"]["tx-packets"], 20)

    def tap_up(self, iface):
        sh("sysctl", "-qw", f"net.ipv6.conf.{iface}.disable_ipv6=1", check=False)
        sh("ip", "link", "set", iface, "up")

    def test_kernel_frames_into_tap_reach_the_pcap(self):
        tap = f"zct{self.tag}"
        pcaptool("gen", f"{self.workdir}/in.pcap", 50, "64,333,1514")
        d = self.start(self.write("zc.yaml", TAP_CONFIG % {"tap": tap,
                                                           "wire": "tx_pcap=out.pcap"}))
        d.wait_ready()
        self.tap_up(tap)
        sent = read_pcap(f"{self.workdir}/in.pcap")
        with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as s:
            s.bind((tap, 0))
            for frame in sent:
                s.send(frame)
        d.wait_metric("zcswitch_port_tx_packets_total", len(sent), port="wire")
        self.assertEqual(d.stop(), 0, d.stderr())
        # The kernel may add frames of its own; ours arrive whole and in order.
        got = [f for f in read_pcap(f"{self.workdir}/out.pcap") if f[6:12] == OUR_SRC_MAC]
        self.assertEqual(got, sent)

    def test_pcap_frames_out_of_tap_reach_the_kernel(self):
        tap = f"zct{self.tag}"
        pcaptool("gen", f"{self.workdir}/in.pcap", 50, "64,333,1514")
        d = self.start(self.write("zc.yaml", TAP_CONFIG % {
            "tap": tap, "wire": "rx_pcap=in.pcap,infinite_rx=1"}))
        d.wait_ready()
        self.tap_up(tap)
        expected = set(read_pcap(f"{self.workdir}/in.pcap"))
        seen = 0
        with socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                           socket.htons(0x0003)) as s:  # ETH_P_ALL
            s.bind((tap, 0))
            s.settimeout(10)
            while seen < 200:
                frame = s.recv(65535)
                if frame[6:12] != OUR_SRC_MAC:
                    continue
                self.assertIn(frame, expected)
                seen += 1
        self.assertEqual(d.stop(), 0, d.stderr())
        self.assertGreaterEqual(final_port_stats(d.stdout())["tap"]["tx-packets"], 200)


if __name__ == "__main__":
    unittest.main()
