"""Every configuration under config/ starts and forwards.

Each runs in a scratch directory laid out as it expects (pcaps generated
where its relative paths point), and is stopped with SIGTERM, which must
exit 0 with the final counters printed.
"""
import glob
import os
import unittest

from zctest import SOURCE_DIR, DaemonTestCase, final_port_stats, pcaptool

CONFIG_DIR = os.path.join(SOURCE_DIR, "config")


class ExamplesTest(DaemonTestCase):
    def run_example(self, name, wait_port, count):
        d = self.start(os.path.join(CONFIG_DIR, name))
        d.wait_ready()
        d.wait_metric("zcswitch_port_tx_packets_total", count, port=wait_port)
        self.assertEqual(d.stop(), 0, d.stderr())
        return d

    def test_demo(self):
        os.makedirs(f"{self.workdir}/build/demo")
        pcaptool("gen", f"{self.workdir}/build/demo/in.pcap", 1000, "64,128,512,1518")
        d = self.start(os.path.join(CONFIG_DIR, "demo.yaml"))
        d.wait_ready()
        # The endless replay keeps moving; the one-shot replay lands in full.
        d.wait_metric("zcswitch_port_tx_packets_total", 100000, port="sink")
        d.wait_metric("zcswitch_port_tx_packets_total", 1000, port="capture")
        self.assertEqual(d.stop(), 0, d.stderr())
        rc, out = pcaptool("cmp", f"{self.workdir}/build/demo/in.pcap",
                           f"{self.workdir}/build/demo/out.pcap", check=False)
        self.assertEqual(rc, 0, out)
        stats = final_port_stats(d.stdout())
        self.assertGreaterEqual(stats["sink"]["tx-packets"], 100000)

    def test_io_pcap(self):
        pcaptool("gen", f"{self.workdir}/in.pcap", 500, "64,1518")
        self.run_example("io-pcap.yaml", "wire_out", 500)
        self.assertEqual(
            pcaptool("cmp", f"{self.workdir}/in.pcap", f"{self.workdir}/out.pcap")[0], 0)

    def test_macswap_pcap(self):
        pcaptool("gen", f"{self.workdir}/in.pcap", 300, "64,128")
        self.run_example("macswap-pcap.yaml", "loop", 300)
        rc, out = pcaptool("cmp", "--swap-macs", f"{self.workdir}/in.pcap",
                           f"{self.workdir}/out.pcap", check=False)
        self.assertEqual(rc, 0, out)
        # Unswapped, the same files differ: the check can fail.
        self.assertNotEqual(pcaptool("cmp", f"{self.workdir}/in.pcap",
                                     f"{self.workdir}/out.pcap", check=False)[0], 0)

    def test_io_null(self):
        d = self.run_example("io-null.yaml", "sink", 1000000)
        stats = final_port_stats(d.stdout())
        self.assertEqual(stats["generator"]["rx-packets"], stats["sink"]["tx-packets"])

    def test_every_example_is_covered(self):
        tested = {"demo.yaml", "io-pcap.yaml", "macswap-pcap.yaml", "io-null.yaml"}
        found = {os.path.basename(p) for p in glob.glob(f"{CONFIG_DIR}/*.yaml")}
        self.assertEqual(found, tested, "add a test for each new example config")


if __name__ == "__main__":
    unittest.main()
