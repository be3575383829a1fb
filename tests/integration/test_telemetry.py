"""DPDK telemetry: zcswitchd's EAL keeps its telemetry socket
(/var/run/dpdk/PREFIX/dpdk_telemetry.v2), and the switch's commands answer
there next to DPDK's own, both through the socket and through the Debian
package's dpdk-telemetry.py -f PREFIX."""
import json
import os
import re
import shutil
import socket
import subprocess
import time
import unittest

from zctest import DaemonTestCase, GENERATOR_TO_SINK


class TelemetryTest(DaemonTestCase):
    def setUp(self):
        super().setUp()
        self.d = self.start(self.write("zc.yaml", GENERATOR_TO_SINK))
        self.d.wait_ready()
        self.prefix = re.search(r"--file-prefix=(\S+)", " ".join(self.d.cmd)).group(1)
        self.path = f"/var/run/dpdk/{self.prefix}/dpdk_telemetry.v2"

    def query(self, command):
        """Sends one command on a fresh connection; returns its JSON value."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
            s.settimeout(10)
            s.connect(self.path)
            json.loads(s.recv(16384))  # the greeting: version, pid, max_output_len
            s.send(command.encode())
            return json.loads(s.recv(1 << 16))[command.split(",")[0]]

    def test_ports_and_port_stats(self):
        self.assertEqual(self.query("/zcswitch/ports"), ["generator", "sink"])
        first = self.query("/zcswitch/port_stats,sink")
        self.assertEqual(first["name"], "sink")
        self.assertEqual(first["type"], "ethdev")
        self.assertEqual(first["link_up"], 1)
        self.assertEqual(first["rx_packets"], 0)
        self.assertEqual(first["tx_bytes"], 64 * first["tx_packets"])
        self.assertIn("drops_tx_full", first)
        time.sleep(0.3)
        second = self.query("/zcswitch/port_stats,sink")
        self.assertGreater(second["tx_packets"], first["tx_packets"])
        # The same counters as the control socket and /metrics, read in between.
        shown = self.d.control("show", "port", "stats", "sink")["data"]["ports"][0]["tx_packets"]
        scraped = self.d.metric("zcswitch_port_tx_packets_total", port="sink")
        third = self.query("/zcswitch/port_stats,sink")
        self.assertLessEqual(second["tx_packets"], shown)
        self.assertLessEqual(shown, scraped)
        self.assertLessEqual(scraped, third["tx_packets"])
        self.assertIsNone(self.query("/zcswitch/port_stats,nope"))
        self.assertIsNone(self.query("/zcswitch/port_stats"))

    def test_lcores(self):
        lcores = self.query("/zcswitch/lcores")
        self.assertGreater(lcores["tsc_hz"], 0)
        self.assertEqual(lcores["1"]["rx_queues"], 2)
        self.assertGreater(lcores["1"]["packets"], 0)
        self.assertGreater(lcores["1"]["busy_cycles"], 0)

    def test_listed_next_to_dpdks_own_commands(self):
        commands = self.query("/")
        for c in ("/zcswitch/ports", "/zcswitch/port_stats", "/zcswitch/lcores", "/ethdev/list"):
            self.assertIn(c, commands)
        self.assertIn("port's name", self.query("/help,/zcswitch/port_stats")[
            "/zcswitch/port_stats"])

    @unittest.skipUnless(shutil.which("dpdk-telemetry.py"), "dpdk-telemetry.py not installed")
    def test_dpdk_telemetry_py(self):
        r = subprocess.run(["dpdk-telemetry.py", "-f", self.prefix],
                           input="/zcswitch/ports\n/zcswitch/port_stats,generator\n",
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        replies = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
        values = {k: v for reply in replies for k, v in reply.items()}
        self.assertEqual(values["/zcswitch/ports"], ["generator", "sink"])
        self.assertGreater(values["/zcswitch/port_stats"]["rx_packets"], 0)


if __name__ == "__main__":
    unittest.main()
