"""N packets in a pcap in, the same N packets, byte for byte, in the pcap out.

zcswitchd forwards in io mode from a net_pcap port reading in.pcap to a
net_pcap port writing out.pcap; the test waits on /metrics until all N went
out, stops the daemon with SIGTERM and compares the files with libpcap.
"""
import signal
import unittest

from zctest import DaemonTestCase, final_port_stats, pcaptool

CONFIG = """
eal: [-l, "0,1", --no-huge, -m, "512", --no-pci]
forwarding:
  mode: io
  lcores: [1]
  pairs: [[wire_in, wire_out]]
ports:
  - name: wire_in
    type: ethdev
    devargs: net_pcap0,rx_pcap=in.pcap
  - name: wire_out
    type: ethdev
    devargs: net_pcap1,tx_pcap=out.pcap
"""


class PcapIoTest(DaemonTestCase):
    def forward(self, count, sizes, sig=signal.SIGTERM):
        pcaptool("gen", f"{self.workdir}/in.pcap", count, sizes)
        d = self.start(self.write("zc.yaml", CONFIG))
        d.wait_ready()
        d.wait_metric("zcswitch_port_tx_packets_total", count, port="wire_out")
        metrics = d.scrape()
        self.assertEqual(d.stop(sig), 0, d.stderr())
        rc, out = pcaptool("cmp", f"{self.workdir}/in.pcap", f"{self.workdir}/out.pcap",
                           check=False)
        self.assertEqual(rc, 0, out)
        self.assertIn(f"{count} packets", out)
        return d, metrics

    def test_mixed_sizes_byte_identical(self):
        d, metrics = self.forward(1000, "60,64,128,512,1024,1500,1518")
        stats = final_port_stats(d.stdout())
        self.assertEqual(stats["wire_in"]["rx-packets"], 1000)
        self.assertEqual(stats["wire_out"]["tx-packets"], 1000)
        self.assertEqual(stats["wire_out"]["tx-dropped"], 0)
        self.assertEqual(stats["wire_in"]["rx-bytes"], stats["wire_out"]["tx-bytes"])
        # The scrape and the final table agree.
        key = ("zcswitch_port_tx_bytes_total", frozenset({("port", "wire_out")}))
        self.assertEqual(metrics[key], stats["wire_out"]["tx-bytes"])
        self.assertIn("cycles/pkt", d.stdout())

    def test_jumbo_frames_cross_as_chains(self):
        self.forward(200, "9000,64,9000,1518")

    def test_sigint_also_exits_cleanly(self):
        d, _ = self.forward(10, "64", sig=signal.SIGINT)
        self.assertIn("Final lcore statistics", d.stdout())


if __name__ == "__main__":
    unittest.main()
