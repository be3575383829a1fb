"""Several forwarding lcores: RX queues are spread over them, each transmits
on its own TX queue, and each reports its own cycles and packets."""
import unittest

from zctest import DaemonTestCase

# Three forwarding lcores on this 2-core machine's second CPU (EAL's --lcores
# maps them), so the test runs anywhere with two CPUs.
CONFIG = """
eal: [--lcores, "0@0,(1-3)@1", --no-huge, -m, "512", --no-pci]
forwarding: {mode: io, lcores: [1, 2, 3], pairs: [[generator, sink]]}
ports:
  - {name: generator, type: ethdev, devargs: "net_null0,size=128", queues: 3}
  - {name: sink, type: ethdev, devargs: "net_null1,no-rx=1", queues: 3}
"""


class LcoresTest(DaemonTestCase):
    def test_queues_spread_over_lcores(self):
        d = self.start(self.write("zc.yaml", CONFIG))
        d.wait_ready()
        for lcore in ("1", "2", "3"):
            d.wait_metric("zcswitch_lcore_packets_total", 1000, lcore=lcore)
        reply = d.control("show", "lcore", "stats")
        lcores = {l["lcore"]: l for l in reply["data"]["lcores"]}
        self.assertEqual(sorted(lcores), [1, 2, 3])
        # 6 RX queues (3 per port) dealt round-robin: two per lcore.
        self.assertEqual([lcores[i]["rx_queues"] for i in (1, 2, 3)], [2, 2, 2])
        sink = d.control("show", "port", "stats", "sink")["data"]["ports"][0]
        self.assertEqual(sink["tx_bytes"], 128 * sink["tx_packets"])
        self.assertEqual(d.stop(), 0, d.stderr())
        self.assertIn("Final lcore statistics", d.stdout())

    def test_device_without_enough_tx_queues_is_refused(self):
        # net_pcap has one TX queue per tx_pcap; two lcores need two.
        config = self.write("zc.yaml", """
eal: [--lcores, "0@0,(1-2)@1", --no-huge, -m, "512", --no-pci]
forwarding: {mode: io, lcores: [1, 2]}
ports:
  - {name: capture, type: ethdev, devargs: "net_pcap0,tx_pcap=out.pcap"}
""")
        r = self.run_daemon([f"--config={config}", "--metrics_address=", "--control_socket=",
                             "--", "--file-prefix=zctxq"])
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("zc.yaml: ports[0].devargs: port capture: device net_pcap0,tx_pcap=out.pcap "
                      "has at most", r.stderr)
        self.assertIn("2 TX (one per forwarding lcore)", r.stderr)


if __name__ == "__main__":
    unittest.main()
