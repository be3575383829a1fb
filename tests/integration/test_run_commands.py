"""`stop` and `start` forwarding, and `port stop|start NAME|all`, on a running
daemon: what stops moving stops, what is dropped meanwhile is counted, and
everything moves again after a start."""
import time
import unittest

from zctest import ControlCommands, DaemonTestCase, GENERATOR_TO_SINK


class RunCommandsTest(ControlCommands, DaemonTestCase):
    def setUp(self):
        super().setUp()
        self.d = self.start(self.write("zc.yaml", GENERATOR_TO_SINK))
        self.d.wait_ready()

    def wait_link_up(self, name):
        deadline = time.time() + 5
        while not self.ports()[name]["link_up"] and time.time() < deadline:
            time.sleep(0.05)

    def test_stop_and_start_forwarding(self):
        self.assertGreater(self.growth()["sink"]["tx_packets"], 0)
        self.assertEqual(self.ok("stop")["data"], {"forwarding": False})
        g = self.growth()
        self.assertEqual(g["generator"]["rx_packets"], 0, g)
        self.assertEqual(g["sink"]["tx_packets"], 0, g)
        self.refused("not forwarding", "stop")
        self.assertEqual(self.ok("start")["data"], {"forwarding": True})
        self.assertGreater(self.growth()["sink"]["tx_packets"], 0)
        self.refused("already forwarding", "start")
        self.refused("usage: start", "start", "now")
        self.assertEqual(self.d.stop(), 0, self.d.stderr())

    def test_port_stop_and_start(self):
        self.assertEqual(self.ok("port", "stop", "sink")["data"], {"port": "sink", "started": False})
        g = self.growth()
        # The generator still sends; the stopped sink takes nothing and says
        # why: its link is down.
        self.assertGreater(g["generator"]["rx_packets"], 0, g)
        self.assertEqual(g["sink"]["tx_packets"], 0, g)
        self.assertGreater(g["sink"]["link_down"], 0, g)
        self.assertFalse(g["sink"]["link_up"], g)
        self.refused("port sink is already stopped", "port", "stop", "sink")

        self.ok("port", "stop", "generator")
        g = self.growth()
        self.assertEqual(g["generator"]["rx_packets"], 0, g)  # not polled
        # Its queue stays on its lcore, and the configuration says so.
        self.assertIn("lcore 1 polls generator rx0 (stopped), sink rx0 (stopped)\n",
                      self.ok("show", "config", "fwd")["text"])
        (info,) = self.ok("show", "port", "info", "generator")["data"]["ports"]
        self.assertFalse(info["started"], info)

        self.ok("port", "start", "generator")
        self.ok("port", "start", "sink")
        self.wait_link_up("sink")
        g = self.growth()
        self.assertGreater(g["sink"]["tx_packets"], 0, g)
        self.assertEqual(g["sink"]["link_down"], 0, g)
        self.refused("port sink is already started", "port", "start", "sink")
        self.refused("no port named \"ghost\"", "port", "stop", "ghost")
        self.refused("usage: port stop NAME|all", "port", "stop")

        # testpmd's `port stop all`: every started port, and only those.
        self.ok("port", "stop", "sink")
        self.assertEqual(self.ok("port", "stop", "all")["data"],
                         {"ports": ["generator"], "started": False})
        self.assertEqual(self.ok("port", "stop", "all")["text"], "every port is already stopped\n")
        g = self.growth()
        self.assertEqual((g["generator"]["rx_packets"], g["sink"]["tx_packets"]), (0, 0), g)
        self.assertEqual(self.ok("port", "start", "all")["text"],
                         "port generator started\nport sink started\n")
        self.wait_link_up("sink")
        self.assertGreater(self.growth()["sink"]["tx_packets"], 0)
        self.assertEqual(self.d.stop(), 0, self.d.stderr())


if __name__ == "__main__":
    unittest.main()
