"""The control socket of a running zcswitchd: one JSON request and one JSON
reply per line, errors as replies, many clients, and shutdown."""
import json
import os
import socket
import stat
import threading
import time
import unittest

from zctest import DaemonTestCase, GENERATOR_TO_SINK


class ControlSocketTest(DaemonTestCase):
    def setUp(self):
        super().setUp()
        self.d = self.start(self.write("zc.yaml", GENERATOR_TO_SINK))
        self.d.wait_ready()
        # Well under way, so that what the tests compare has grown past noise.
        self.d.wait_metric("zcswitch_port_tx_packets_total", 10000, port="sink")

    def test_socket_is_private(self):
        mode = stat.S_IMODE(os.stat(self.d.control_path).st_mode)
        self.assertEqual(mode, 0o600)

    def test_port_stats_move_and_filter_by_name(self):
        first = self.d.control("show", "port", "stats")
        self.assertTrue(first["ok"], first)
        time.sleep(0.5)
        second = self.d.control("show", "port", "stats", "sink")
        self.assertEqual([p["name"] for p in second["data"]["ports"]], ["sink"])
        sink_before = next(p for p in first["data"]["ports"] if p["name"] == "sink")
        sink_after = second["data"]["ports"][0]
        self.assertGreater(sink_after["tx_packets"], sink_before["tx_packets"])
        self.assertEqual(sink_after["tx_bytes"], 64 * sink_after["tx_packets"])
        self.assertIn("tx_full", sink_after["drops"])
        self.assertIn("sink", second["text"])

    def test_lcore_stats(self):
        r = self.d.control("show", "lcore", "stats")
        self.assertTrue(r["ok"], r)
        (lcore,) = r["data"]["lcores"]
        self.assertEqual(lcore["lcore"], 1)
        self.assertGreater(lcore["packets"], 0)
        self.assertGreater(lcore["cycles_per_packet"], 0)
        self.assertIn("cycles/pkt", r["text"])

    def test_rates_since_the_last_show(self):
        self.d.control("show", "port", "stats")
        time.sleep(0.5)
        r = self.d.control("show", "port", "stats")
        self.assertGreater(r["data"]["interval_s"], 0.4)
        self.assertLess(r["data"]["interval_s"], 5)
        ports = {p["name"]: p for p in r["data"]["ports"]}
        sink = ports["sink"]["rates"]
        # net_null generates as fast as it is polled: a plausible rate is at
        # least 100 kpps and at most what one lcore could ever forward.
        self.assertGreater(sink["tx_pps"], 1e5)
        self.assertLess(sink["tx_pps"], 1e9)
        self.assertAlmostEqual(sink["tx_bps"], sink["tx_pps"] * 64 * 8, delta=sink["tx_bps"] * 1e-6)
        self.assertEqual(sink["rx_pps"], 0)  # no-rx=1
        self.assertAlmostEqual(ports["generator"]["rates"]["rx_pps"], sink["tx_pps"],
                               delta=sink["tx_pps"] * 0.01)
        self.assertIn("tx-pps", r["text"])

    def test_clear_port_stats_zeroes_the_display_not_the_metrics(self):
        metric_before = self.d.metric("zcswitch_port_tx_packets_total", port="sink")
        self.assertTrue(self.d.control("clear", "port", "stats", "sink")["ok"])
        after = {p["name"]: p for p in self.d.control("show", "port", "stats")["data"]["ports"]}
        metric_after = self.d.metric("zcswitch_port_tx_packets_total", port="sink")
        # Cleared just now: far fewer than the metric, which kept growing.
        self.assertLess(after["sink"]["tx_packets"], metric_after / 2)
        self.assertGreater(metric_after, metric_before)
        # The other port was not cleared.
        self.assertGreater(after["generator"]["rx_packets"], metric_before)
        self.assertTrue(self.d.control("clear", "port", "stats")["ok"])
        r = self.d.control("show", "port", "xstats", "generator")
        self.assertLess(r["data"]["rx_queues"][0]["packets"], metric_after / 2)
        self.assertFalse(self.d.control("clear", "port", "stats", "nope")["ok"])

    def test_control_socket_and_metrics_agree_while_traffic_flows(self):
        # Counters only grow: a scrape between two shows lies between them.
        first = self.d.control("show", "fwd", "stats")["data"]["total"]["tx_packets"]
        scraped = self.d.metric("zcswitch_port_tx_packets_total", port="sink")
        time.sleep(0.2)  # the lcore shares a busy machine's CPUs
        second = self.d.control("show", "fwd", "stats")["data"]["total"]["tx_packets"]
        self.assertLessEqual(first, scraped)
        self.assertLessEqual(scraped, second)
        self.assertGreater(second, first)

    def test_fwd_stats_and_their_clear(self):
        r = self.d.control("show", "fwd", "stats")
        ports = {p["name"]: p for p in r["data"]["ports"]}
        self.assertGreater(ports["sink"]["tx_packets"], 0)
        self.assertEqual(r["data"]["total"]["tx_packets"],
                         sum(p["tx_packets"] for p in ports.values()))
        self.assertIn("total", r["text"])
        self.assertTrue(self.d.control("clear", "fwd", "stats")["ok"])
        cleared = self.d.control("show", "fwd", "stats")["data"]["total"]["tx_packets"]
        self.assertLess(cleared, ports["sink"]["tx_packets"])
        # fwd stats have their own baseline: port stats are untouched.
        time.sleep(0.2)
        port = self.d.control("show", "port", "stats", "sink")["data"]["ports"][0]
        self.assertGreater(port["tx_packets"], ports["sink"]["tx_packets"])

    def test_lcore_stats_per_queue_and_their_clear(self):
        (lcore,) = self.d.control("show", "lcore", "stats")["data"]["lcores"]
        queues = {(q["port"], q["queue"]): q for q in lcore["queues"]}
        self.assertEqual(set(queues), {("generator", 0), ("sink", 0)})
        self.assertEqual(queues[("sink", 0)]["packets"], 0)
        self.assertGreater(queues[("generator", 0)]["packets"], 0)
        # The busy queue's cycles are most of the lcore's busy cycles.
        self.assertGreater(queues[("generator", 0)]["cycles"], 0.5 * lcore["busy_cycles"])
        self.assertLessEqual(queues[("generator", 0)]["cycles"], lcore["busy_cycles"])
        self.assertTrue(self.d.control("clear", "lcore", "stats")["ok"])
        (cleared,) = self.d.control("show", "lcore", "stats")["data"]["lcores"]
        self.assertLess(cleared["packets"], lcore["packets"])
        self.assertLess(cleared["queues"][0]["packets"], queues[("generator", 0)]["packets"])

    def test_xstats_of_an_ethdev_port(self):
        r = self.d.control("show", "port", "xstats", "sink")
        self.assertTrue(r["ok"], r)
        self.assertGreater(r["data"]["tx_queues"][0]["packets"], 0)
        device = {(x["queue"], x["name"]): x["value"] for x in r["data"]["device_xstats"]}
        self.assertGreater(device[("", "tx_good_packets")], 0)
        self.assertGreater(device[("tx0", "packets")], 0)
        for bad in (["show", "port", "xstats"], ["show", "port", "xstats", "all"],
                    ["show", "port", "xstats", "nope"]):
            self.assertFalse(self.d.control(*bad)["ok"], bad)

    def test_port_info_and_fwd_config(self):
        info = {p["name"]: p for p in self.d.control("show", "port", "info")["data"]["ports"]}
        self.assertEqual(set(info), {"generator", "sink"})
        self.assertEqual(info["sink"]["type"], "ethdev")
        self.assertIn("net_null", info["sink"]["description"])
        self.assertTrue(info["sink"]["link_up"])
        self.assertEqual(info["sink"]["vlan"], "untagged")
        r = self.d.control("show", "config", "fwd")
        self.assertEqual(r["data"]["mode"], "io")
        self.assertEqual(r["data"]["tx_retries"], 8)
        self.assertEqual(r["data"]["pairs"], [["generator", "sink"]])
        self.assertEqual(r["data"]["lcores"], [{"lcore": 1, "queues": [
            {"port": "generator", "queue": 0, "started": True},
            {"port": "sink", "queue": 0, "started": True}]}])
        self.assertIn("pair generator <-> sink\n", r["text"])

    def test_help_lists_commands(self):
        r = self.d.control("help")
        for cmd in ("show port stats", "clear port stats", "show port xstats", "show port info",
                    "show lcore stats", "clear lcore stats", "show fwd stats", "clear fwd stats",
                    "show config fwd", "shutdown"):
            self.assertIn(cmd, r["text"])

    def test_bad_requests_get_error_replies(self):
        cases = {
            "not json\n": "not valid JSON",
            "[1, 2]\n": "must be",
            '{"command": [1]}\n': "must be strings",
            '{"command": ["frobnicate"]}\n': "unknown command \"frobnicate\"",
            '{"command": ["show", "port", "stats", "nope"]}\n': "no port named \"nope\"",
            '{"command": ["shutdown", "now"]}\n': "usage: shutdown",
        }
        for line, error in cases.items():
            r = self.d.control(raw=line)
            self.assertFalse(r["ok"], line)
            self.assertIn(error, r["error"], line)
        self.assertTrue(self.d.control("help")["ok"])  # still answering

    def test_several_requests_on_one_connection(self):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(self.d.control_path)
            s.sendall(b'{"command": ["help"]}\nnonsense\n{"command": ["show", "lcore", "stats"]}\n')
            buf = b""
            while buf.count(b"\n") < 3:
                buf += s.recv(65536)
        replies = [json.loads(l) for l in buf.splitlines()]
        self.assertEqual([r["ok"] for r in replies], [True, False, True])

    def send_then_half_close(self, data):
        """Sends `data`, closes the sending side, returns all the daemon said."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(self.d.control_path)
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            s.settimeout(10)
            buf = b""
            while chunk := s.recv(65536):
                buf += chunk
        return buf

    def test_client_that_closes_its_side_still_gets_the_reply(self):
        # As `echo ... | socat - UNIX-CONNECT:...` does.
        buf = self.send_then_half_close(b'{"command": ["show", "port", "stats", "sink"]}\n')
        self.assertTrue(json.loads(buf)["ok"], buf)

    def test_last_request_without_newline_is_answered(self):
        buf = self.send_then_half_close(b'{"command": ["help"]}')
        self.assertTrue(json.loads(buf)["ok"], buf)

    def test_client_that_never_reads_does_not_stall_others(self):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as hog:
            hog.connect(self.d.control_path)
            hog.setblocking(False)
            request = b'{"command": ["help"]}\n' * 1000
            sent = 0
            deadline = time.time() + 5
            while time.time() < deadline:  # until the daemon stops taking more
                try:
                    sent += hog.send(request)
                except BlockingIOError:
                    time.sleep(0.05)
            self.assertGreater(sent, 0)
            self.assertTrue(self.d.control("help")["ok"])
        self.assertTrue(self.d.control("help")["ok"])

    def test_over_long_line_is_refused_and_daemon_carries_on(self):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(self.d.control_path)
            s.settimeout(10)
            try:
                s.sendall(b"x" * (10 * 1024 * 1024))
            except (BrokenPipeError, ConnectionResetError):
                pass  # the daemon may hang up before taking all of it
            reply = s.recv(65536)
        self.assertIn(b"longer than", reply)
        self.assertTrue(self.d.control("help")["ok"])

    def test_a_line_just_over_the_limit_is_refused_with_its_newline(self):
        # Valid JSON, one byte over 1 MiB, sent whole with its newline.
        line = b'{"command": ["help"], "pad": "' + b"y" * (1 << 20) + b'"}\n'
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(self.d.control_path)
            s.settimeout(10)
            try:
                s.sendall(line)
            except (BrokenPipeError, ConnectionResetError):
                pass
            reply = s.recv(65536)
        self.assertIn(b"longer than 1048576 bytes", reply)
        self.assertTrue(self.d.control("help")["ok"])

    def test_many_clients_at_once(self):
        results = []

        def client():
            results.append(self.d.control("show", "port", "stats")["ok"])

        threads = [threading.Thread(target=client) for _ in range(100)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(results, [True] * 100)

    def test_shutdown_command_exits_cleanly(self):
        r = self.d.control("shutdown")
        self.assertTrue(r["ok"])
        self.assertEqual(self.d.proc.wait(timeout=30), 0)
        self.assertIn("Final port statistics", self.d.stdout())
        self.assertFalse(os.path.exists(self.d.control_path))

    def test_second_daemon_on_the_same_socket_is_refused_before_eal(self):
        r = self.run_daemon([f"--config={self.workdir}/zc.yaml", "--metrics_address=",
                             f"--control_socket={self.d.control_path}", "--",
                             "--file-prefix=zcsecond"])
        self.assertEqual(r.returncode, 1)
        self.assertIn("is in use by another process", r.stderr)
        self.assertNotIn("EAL:", r.stderr)  # no device was touched
        self.assertTrue(self.d.control("help")["ok"])

    def test_a_file_in_the_way_is_not_deleted(self):
        path = self.write("not-a-socket", "precious")
        r = self.run_daemon([f"--config={self.workdir}/zc.yaml", "--metrics_address=",
                             f"--control_socket={path}"])
        self.assertEqual(r.returncode, 1)
        self.assertIn("exists and is not a socket", r.stderr)
        with open(path) as f:
            self.assertEqual(f.read(), "precious")


if __name__ == "__main__":
    unittest.main()
