"""The FDB commands on a running l2switch: `fdb add` steers a flooded stream
to one port, `fdb del` lets it flood again, `fdb flush` forgets what was
learned and keeps static entries, and bad arguments are refused with usage
text, changing nothing."""
import time
import unittest

from zctest import DaemonTestCase, pcaptool

STREAM_DST = "02:00:00:00:00:99"
STREAM_SRC = "02:00:00:00:00:0a"
ONCE_SRC = "02:00:00:00:00:0b"

CONFIG = """
eal: [-l, "0,1", --no-huge, -m, "512", --no-pci]
forwarding: {mode: l2switch, lcores: [1]}
fdb:
  static: [{mac: "02:00:00:00:00:77", vlan: 10, port: trunk}]
ports:
  - {name: stream, type: ethdev, devargs: "net_pcap0,rx_pcap=stream.pcap,infinite_rx=1"}
  - {name: once, type: ethdev, devargs: "net_pcap1,rx_pcap=once.pcap"}
  - {name: a, type: ethdev, devargs: "net_null0,no-rx=1"}
  - {name: b, type: ethdev, devargs: "net_null1,no-rx=1"}
  - {name: trunk, type: ethdev, devargs: "net_null2,no-rx=1", trunk: [10]}
"""


class FdbCommandsTest(DaemonTestCase):
    def setUp(self):
        super().setUp()
        pcaptool("gen", f"--src={STREAM_SRC}", f"--dst={STREAM_DST}",
                 f"{self.workdir}/stream.pcap", 64, 64)
        pcaptool("gen", f"--src={ONCE_SRC}", "--dst=ff:ff:ff:ff:ff:ff",
                 f"{self.workdir}/once.pcap", 8, 64)
        self.d = self.start(self.write("zc.yaml", CONFIG))
        self.d.wait_ready()

    def ok(self, *words):
        reply = self.d.control(*words)
        self.assertTrue(reply["ok"], reply)
        return reply["data"]

    def tx(self):
        return {p["name"]: p["tx_packets"] for p in self.ok("show", "port", "stats")["ports"]}

    def tx_growth(self, seconds=0.5):
        before = self.tx()
        time.sleep(seconds)
        after = self.tx()
        return {n: after[n] - before[n] for n in after}

    def entries(self):
        return {(e["mac"], e["vlan"]): (e["port"], e["type"]) for e in self.ok("show", "fdb")["entries"]}

    def test_add_steers_and_del_floods_again(self):
        grown = self.tx_growth()
        self.assertGreater(grown["a"], 0, grown)
        self.assertGreater(grown["b"], 0, grown)
        self.assertEqual(grown["trunk"], 0, grown)  # another VLAN

        data = self.ok("fdb", "add", STREAM_DST, "b")
        self.assertEqual(data, {"mac": STREAM_DST, "vlan": 0, "port": "b"})
        self.assertEqual(self.entries()[(STREAM_DST, 0)], ("b", "static"))
        time.sleep(0.2)  # bursts already gathered before the add
        grown = self.tx_growth()
        self.assertEqual(grown["a"], 0, grown)
        self.assertGreater(grown["b"], 0, grown)

        self.ok("fdb", "del", STREAM_DST)
        self.assertNotIn((STREAM_DST, 0), self.entries())
        time.sleep(0.2)
        grown = self.tx_growth()
        self.assertGreater(grown["a"], 0, grown)
        self.assertGreater(grown["b"], 0, grown)

    def wait_entry(self, key):
        """The FDB once it holds `key`: the control thread learns what the
        lcores saw a moment later."""
        deadline = time.time() + 5
        while key not in self.entries() and time.time() < deadline:
            time.sleep(0.05)
        return self.entries()

    def test_flush_forgets_learned_and_keeps_static(self):
        entries = self.wait_entry((ONCE_SRC, 0))
        self.assertEqual(entries[(ONCE_SRC, 0)], ("once", "learned"))
        self.assertEqual(entries[("02:00:00:00:00:77", 10)], ("trunk", "static"))
        data = self.ok("fdb", "flush")
        self.assertGreaterEqual(data["removed"], 2)  # both sources
        entries = self.entries()
        self.assertNotIn((ONCE_SRC, 0), entries)  # its port is silent now
        self.assertEqual(entries[("02:00:00:00:00:77", 10)], ("trunk", "static"))
        # The stream's source comes straight back: it is still sending.
        self.assertEqual(self.wait_entry((STREAM_SRC, 0))[(STREAM_SRC, 0)],
                         ("stream", "learned"))

    def test_bad_arguments_change_nothing(self):
        before = self.entries()
        for words, expected in (
            (("fdb", "add", STREAM_DST), "usage: fdb add MAC [vlan N] PORT"),
            (("fdb", "add", "01:00:5e:00:00:01", "a"), "is not a unicast MAC address"),
            (("fdb", "add", "00:00:00:00:00:00", "a"), "is not a unicast MAC address"),
            (("fdb", "add", "nonsense", "a"), "is not a unicast MAC address"),
            (("fdb", "add", STREAM_DST, "ghost"), "no port named \"ghost\""),
            (("fdb", "add", STREAM_DST, "vlan", "10", "a"), "port a does not carry VLAN 10"),
            (("fdb", "add", STREAM_DST, "vlan", "4095", "trunk"), "vlan needs a number"),
            (("fdb", "add", STREAM_DST, "vlan", "x", "trunk"), "vlan needs a number"),
            (("fdb", "add", STREAM_DST, "vlan", "0", "trunk"), "port trunk does not carry VLAN 0"),
            (("fdb", "del", STREAM_DST, "extra"), "usage: fdb del MAC [vlan N]"),
            (("fdb", "del", "02:00:00:00:00:55"), "no FDB entry for 02:00:00:00:00:55 in VLAN 0"),
            (("fdb", "flush", "now"), "usage: fdb flush"),
        ):
            reply = self.d.control(*words)
            self.assertFalse(reply["ok"], (words, reply))
            self.assertIn(expected, reply["error"], words)
        self.assertEqual(set(self.entries()), set(before))
        # A trunk's VLAN is fine.
        self.ok("fdb", "add", STREAM_DST, "vlan", "10", "trunk")
        self.assertEqual(self.entries()[(STREAM_DST, 10)], ("trunk", "static"))
        # As is VLAN 0, the untagged domain, said out loud.
        self.ok("fdb", "add", "02:00:00:00:00:77", "vlan", "0", "a")
        self.assertEqual(self.entries()[("02:00:00:00:00:77", 0)], ("a", "static"))
        self.ok("fdb", "del", "02:00:00:00:00:77", "vlan", "0")
        self.assertEqual(self.d.stop(), 0, self.d.stderr())


if __name__ == "__main__":
    unittest.main()
