"""`port add` and `port del` on a running daemon, while a guest sends.

A real DPDK virtio-user guest (dpdk-testpmd, txonly) sends unknown unicast
into an l2switch, which floods it to every other port. Ports are added and
removed under that load: an added port gets the flood from the next
milliseconds on, a removed one vanishes from every view (stats, lcores,
metrics, FDB), its device or socket can be used again, and the guest's
traffic to the ports that stay never stops. A vhost-user port added at run
time takes a second guest, which receives. In io mode a pair stops and
works again as its port goes and comes back.
"""
import os
import time
import unittest

from zctest import ControlCommands, DaemonTestCase, GENERATOR_TO_SINK, Testpmd

L2SWITCH = """
eal: [-l, "0,1", --no-huge, -m, "512", --no-pci]
forwarding: {mode: l2switch, lcores: [1]}
ports:
  - {name: vm1, type: vhost-user, socket: "%(sock)s"}
  - {name: sink0, type: ethdev, devargs: "net_null1,no-rx=1"}
"""


class PortAddDelTest(ControlCommands, DaemonTestCase):
    def polled_queues(self):
        lcores = self.ok("show", "lcore", "stats")["data"]["lcores"]
        return sorted((q["port"], q["queue"]) for l in lcores for q in l["queues"])

    def guest(self, name, sock, mode):
        tp = Testpmd(self.workdir, name, [f"net_virtio_user0,path={sock},queue_size=1024"],
                     ["--no-flush-rx", "--rxd=1024", "--txd=1024"])
        self.addCleanup(tp.kill)
        tp.send(f"set fwd {mode}", "start")
        return tp

    def start_l2switch_with_guest(self):
        sock = os.path.join(self.workdir, "vm1.sock")
        self.d = self.start(self.write("zc.yaml", L2SWITCH % {"sock": sock}))
        self.d.wait_ready()
        self.guest1 = self.guest("g1", sock, "txonly")
        self.d.wait_metric("zcswitch_port_link_up", 1, port="vm1")
        self.d.wait_metric("zcswitch_port_tx_packets_total", 1000, port="sink0")

    def test_ethdev_ports_come_and_go_while_the_guest_sends(self):
        self.start_l2switch_with_guest()
        added = self.ok("port", "add", "sink1", "ethdev", "net_null2,no-rx=1")
        self.assertEqual(added["data"], {"port": "sink1", "id": 2})
        self.assertIn("sink1", self.polled_queues()[1])
        g = self.growth()
        self.assertGreater(g["vm1"]["rx_packets"], 0, g)
        self.assertGreater(g["sink0"]["tx_packets"], 0, g)
        self.assertGreater(g["sink1"]["tx_packets"], 0, g)
        info = {p["name"]: p for p in self.ok("show", "port", "info")["data"]["ports"]}
        self.assertIn("net_null2", info["sink1"]["description"])

        # A static entry and whatever was learned go with the port.
        self.ok("fdb", "add", "02:00:00:00:00:99", "sink0")
        removed = self.ok("port", "del", "sink0")
        self.assertEqual(removed["data"]["port"], "sink0")
        self.assertGreaterEqual(removed["data"]["fdb_entries_removed"], 1)
        self.assertNotIn("sink0", self.ports())
        self.assertEqual(self.polled_queues(), [("sink1", 0), ("vm1", 0)])
        self.assertNotIn("02:00:00:00:00:99",
                         [e["mac"] for e in self.ok("show", "fdb")["data"]["entries"]])
        self.assertIsNone(self.d.metric("zcswitch_port_tx_packets_total", port="sink0"))
        g = self.growth()
        self.assertGreater(g["vm1"]["rx_packets"], 0, g)
        self.assertGreater(g["sink1"]["tx_packets"], 0, g)

        # Its device was released: it can be added again, in the free id.
        again = self.ok("port", "add", "sink0", "ethdev", "net_null1,no-rx=1")
        self.assertEqual(again["data"], {"port": "sink0", "id": 1})
        g = self.growth()
        self.assertGreater(g["sink0"]["tx_packets"], 0, g)
        self.assertGreater(g["sink1"]["tx_packets"], 0, g)

        # The guest's own port goes while it sends; the daemon carries on.
        self.ok("port", "del", "vm1")
        self.assertNotIn("vm1", self.ports())
        self.assertEqual(self.growth()["sink1"]["tx_packets"], 0)
        self.assertEqual(self.d.stop(), 0, self.d.stderr())
        self.assertIn("port vm1 removed", self.d.stderr())

    def test_added_vhost_port_takes_a_guest(self):
        self.start_l2switch_with_guest()
        sock2 = os.path.join(self.workdir, "vm2.sock")
        self.ok("port", "add", "vm2", "vhost-user", sock2, "queues", "1")
        self.assertTrue(os.path.exists(sock2))
        vhost = self.ok("show", "vhost", "vm2")["data"]
        self.assertEqual((vhost["mode"], vhost["connected"]), ("server", False))
        guest2 = self.guest("g2", sock2, "rxonly")
        self.d.wait_metric("zcswitch_port_link_up", 1, port="vm2")
        self.d.wait_metric("zcswitch_port_tx_packets_total", 1000, port="vm2")
        g = self.growth()
        self.assertGreater(g["vm2"]["tx_packets"], 0, g)
        self.assertGreater(g["sink0"]["tx_packets"], 0, g)

        # Removed while its guest is attached: the socket goes, vm1 goes on.
        self.ok("port", "del", "vm2")
        self.assertFalse(os.path.exists(sock2))
        g = self.growth()
        self.assertGreater(g["vm1"]["rx_packets"], 0, g)
        self.assertGreater(g["sink0"]["tx_packets"], 0, g)
        self.assertIsNone(guest2.proc.poll(), "the guest survives losing its switch")
        self.assertEqual(self.d.stop(), 0, self.d.stderr())

    def test_bad_port_commands_change_nothing(self):
        self.start_l2switch_with_guest()
        sock = os.path.join(self.workdir, "vm1.sock")
        for expected, words in (
                ("a port named vm1 exists", ("vm1", "ethdev", "net_null5")),
                (f"socket {sock} is already port vm1", ("vm9", "vhost-user", sock)),
                ("device net_null1 is already port sink0", ("s9", "ethdev", "net_null1")),
                ("usage: port add NAME", ("s9",)),
                ("unknown port type", ("s9", "tap", "x")),
                ("queues needs a number from 1 to 64", ("s9", "ethdev", "net_null5", "queues", "0")),
                ("port s9:", ("s9", "ethdev", "net_bogus0")),
                ("no ethdev port appeared", ("s9", "ethdev", "crypto_null0")),
                # Not left probed by the first try: the same answer again.
                ("no ethdev port appeared", ("s9", "ethdev", "crypto_null0")),
                ("exists and is not a socket",
                 ("s9", "vhost-user", os.path.join(self.workdir, "zc.yaml"))),
                ("must be 1-107 characters", ("s9", "vhost-user", "/tmp/" + "x" * 120))):
            self.refused(expected, "port", "add", *words)
        self.refused("no port named \"ghost\"", "port", "del", "ghost")
        self.refused("usage: port del NAME", "port", "del")
        self.assertEqual(sorted(self.ports()), ["sink0", "vm1"])
        self.assertEqual(self.polled_queues(), [("sink0", 0), ("vm1", 0)])
        g = self.growth()
        self.assertGreater(g["sink0"]["tx_packets"], 0, g)
        # The failed probe left nothing behind: the same device works now.
        self.ok("port", "add", "s9", "ethdev", "net_null5,no-rx=1")
        self.assertGreater(self.growth()["s9"]["tx_packets"], 0)
        self.assertEqual(self.d.stop(), 0, self.d.stderr())

    def test_io_pair_stops_and_resumes_with_its_port(self):
        self.d = self.start(self.write("zc.yaml", GENERATOR_TO_SINK))
        self.d.wait_ready()
        self.assertGreater(self.growth()["sink"]["tx_packets"], 0)
        self.ok("port", "del", "sink")
        before = self.ports()["generator"]["drops"]["no_route"]
        time.sleep(0.3)
        self.assertGreater(self.ports()["generator"]["drops"]["no_route"], before)
        self.ok("port", "add", "sink", "ethdev", "net_null1,no-rx=1")
        g = self.growth()
        self.assertGreater(g["sink"]["tx_packets"], 0, g)
        self.assertEqual(self.d.stop(), 0, self.d.stderr())


if __name__ == "__main__":
    unittest.main()
