"""The control socket of a running zcswitchd: one JSON request and one JSON
reply per line, errors as replies, many clients, and shutdown."""
import json
import os
import socket
import stat
import threading
import time
import unittest

from zctest import DaemonTestCase

CONFIG = """
eal: [-l, "0,1", --no-huge, -m, "512", --no-pci]
forwarding: {mode: io, lcores: [1], pairs: [[generator, sink]]}
ports:
  - {name: generator, type: ethdev, devargs: "net_null0,size=64"}
  - {name: sink, type: ethdev, devargs: "net_null1,no-rx=1"}
"""


class ControlSocketTest(DaemonTestCase):
    def setUp(self):
        super().setUp()
        self.d = self.start(self.write("zc.yaml", CONFIG))
        self.d.wait_ready()

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

    def test_help_lists_commands(self):
        r = self.d.control("help")
        for cmd in ("show port stats", "show lcore stats", "shutdown"):
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
