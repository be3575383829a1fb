"""A bad configuration exits 2 with one message naming file, key and problem,
before anything starts; so do bad flags."""
import unittest

from zctest import DaemonTestCase

GOOD_PORT = "  - {name: a, type: ethdev, devargs: net_null0}\n"


class BadConfigTest(DaemonTestCase):
    def assert_rejected(self, yaml, *expected):
        path = self.write("bad.yaml", yaml)
        r = self.run_daemon([f"--config={path}", "--metrics_address="])
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        for text in expected:
            self.assertIn(text, r.stderr)
        return r

    def test_unknown_key(self):
        r = self.assert_rejected("forwarding:\n  mode: io\n  lcorez: [1]\n",
                                 "bad.yaml:3:3: forwarding.lcorez: unknown key")
        self.assertNotIn("EAL:", r.stderr)  # rejected before EAL started

    def test_wrong_type(self):
        self.assert_rejected("forwarding: {mode: io, tx_retries: lots}\n",
                             "bad.yaml", "forwarding.tx_retries: expected an integer")

    def test_missing_port(self):
        self.assert_rejected("forwarding: {mode: io, pairs: [[a, b]]}\nports:\n" + GOOD_PORT,
                             "forwarding.pairs[0][1]: no port named \"b\"")

    def test_duplicate_name(self):
        self.assert_rejected("ports:\n" + GOOD_PORT + GOOD_PORT,
                             "ports[1].name: duplicate port name \"a\"")

    def test_bad_mac(self):
        self.assert_rejected(
            "fdb: {static: [{mac: '52:54:00:zz:00:01', port: a}]}\nports:\n" + GOOD_PORT,
            "fdb.static[0].mac: \"52:54:00:zz:00:01\" is not a MAC address")

    def test_unknown_mode(self):
        self.assert_rejected("forwarding: {mode: bridge}\n",
                             "forwarding.mode: unknown mode \"bridge\"")

    def test_access_and_trunk_at_once(self):
        self.assert_rejected(
            "ports:\n  - {name: a, type: ethdev, devargs: net_null0, vlan: 10, trunk: [20]}\n",
            "ports[0]", "a port is either an access port (vlan) or a trunk, not both")

    def test_vlan_out_of_range(self):
        self.assert_rejected(
            "ports:\n  - {name: a, type: ethdev, devargs: net_null0, trunk: [10, 4095]}\n",
            "ports[0].trunk[1]: 4095 is out of range [1, 4094]")

    def test_static_entry_outside_its_ports_vlans(self):
        self.assert_rejected(
            "fdb: {static: [{mac: '52:54:00:00:00:01', vlan: 20, port: a}]}\nports:\n"
            "  - {name: a, type: ethdev, devargs: net_null0, vlan: 10}\n",
            "fdb.static[0].vlan: port \"a\" does not carry VLAN 20")

    def test_lcore_outside_eal(self):
        # Only found once EAL is up: lcore 1 is not in -l 0.
        self.assert_rejected(
            "eal: [-l, '0', --no-huge, -m, '128', --no-pci, --no-shconf]\n"
            "forwarding: {mode: io, lcores: [1]}\nports: []\n",
            "forwarding.lcores[0]: lcore 1 is not an EAL worker lcore")

    def test_missing_file(self):
        r = self.run_daemon(["--config=/nonexistent/zc.yaml"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("/nonexistent/zc.yaml: cannot open", r.stderr)

    def test_no_config_flag(self):
        r = self.run_daemon([])
        self.assertEqual(r.returncode, 2)
        self.assertIn("--config=FILE is required", r.stderr)

    def test_stray_argument(self):
        r = self.run_daemon(["--config=x.yaml", "extra"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("unexpected argument \"extra\"", r.stderr)

    def test_unknown_device_fails_without_hanging(self):
        path = self.write("dev.yaml",
                          "eal: [-l, '0,1', --no-huge, -m, '256', --no-pci, --no-shconf]\n"
                          "forwarding: {mode: io}\nports:\n"
                          "  - {name: a, type: ethdev, devargs: net_nosuchdriver0}\n")
        r = self.run_daemon([f"--config={path}", "--metrics_address="])
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("dev.yaml: ports[0].devargs: port a: cannot probe device "
                      "\"net_nosuchdriver0\"", r.stderr)


if __name__ == "__main__":
    unittest.main()
