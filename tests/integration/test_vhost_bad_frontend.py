"""A front-end that breaks the vhost-user protocol loses its connection, with
a log line naming the socket and the request; the daemon and its other ports
carry on, and the port takes the next front-end."""
import os
import socket
import struct
import time
import unittest

from zctest import DaemonTestCase

CONFIG = """
eal: [-l, "0,1", --no-huge, -m, "512", --no-pci]
forwarding: {mode: io, lcores: [1], pairs: [[vm1, vm2]]}
ports:
  - {name: vm1, type: vhost-user, socket: "%(dir)s/vm1.sock"}
  - {name: vm2, type: vhost-user, socket: "%(dir)s/vm2.sock"}
"""

GET_FEATURES, SET_FEATURES, SET_MEM_TABLE, SET_VRING_CALL = 1, 2, 5, 13


def header(request, size, flags=1):
    return struct.pack("<III", request, flags, size)


class BadFrontendTest(DaemonTestCase):
    def setUp(self):
        super().setUp()
        self.d = self.start(self.write("zc.yaml", CONFIG % {"dir": self.workdir}))
        self.d.wait_ready()

    def connect(self, port="vm1"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(os.path.join(self.workdir, f"{port}.sock"))
        self.addCleanup(s.close)
        return s

    def assert_closed_by_daemon(self, s, log_text):
        self.assertEqual(s.recv(4096), b"")  # EOF: the daemon hung up
        deadline = time.time() + 5
        while log_text not in self.d.stderr() and time.time() < deadline:
            time.sleep(0.1)
        self.assertIn(log_text, self.d.stderr())

    def assert_still_serving(self):
        s = self.connect("vm2")
        s.sendall(header(GET_FEATURES, 0))
        h = s.recv(12)
        request, flags, size = struct.unpack("<III", h)
        self.assertEqual((request, flags & 0x4, size), (GET_FEATURES, 0x4, 8))
        features = struct.unpack("<Q", s.recv(8))[0]
        self.assertTrue(features & (1 << 32))  # VERSION_1
        self.assertTrue(self.d.control("help")["ok"])

    def test_unknown_request(self):
        s = self.connect()
        s.sendall(header(99, 8) + b"\0" * 8)
        self.assert_closed_by_daemon(s, "vm1.sock): request 99: unknown request; closing")
        self.assert_still_serving()

    def test_wrong_payload_size(self):
        s = self.connect()
        s.sendall(header(SET_FEATURES, 4) + b"\0" * 4)
        self.assert_closed_by_daemon(s, "SET_FEATURES: payload is 4 bytes, expected 8")
        self.assert_still_serving()

    def test_memory_table_that_does_not_add_up(self):
        s = self.connect()
        payload = struct.pack("<II", 3, 0) + b"\0" * 32  # says 3 regions, has 1
        s.sendall(header(SET_MEM_TABLE, len(payload)) + payload)
        self.assert_closed_by_daemon(s, "SET_MEM_TABLE: payload is 40 bytes, expected 104")
        self.assert_still_serving()

    def test_legacy_driver_refused(self):
        s = self.connect()
        s.sendall(header(SET_FEATURES, 8) + struct.pack("<Q", 1 << 15))
        self.assert_closed_by_daemon(s, "VIRTIO_F_VERSION_1 is required")

    def test_call_fd_that_is_not_an_eventfd(self):
        s = self.connect()
        r, w = os.pipe()
        self.addCleanup(os.close, r)
        self.addCleanup(os.close, w)
        s.sendmsg([header(SET_VRING_CALL, 8) + struct.pack("<Q", 0)],
                  [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", w))])
        self.assert_closed_by_daemon(s, "SET_VRING_CALL: fd is not an eventfd")

    def test_stalled_message_is_cut_off(self):
        s = self.connect()
        s.sendall(header(SET_FEATURES, 8) + b"\0\0")  # and then nothing
        self.assert_closed_by_daemon(s, "timed out 2 bytes into a 8-byte payload")
        self.assert_still_serving()

    def test_a_second_front_end_is_refused_while_one_is_attached(self):
        first = self.connect()
        first.sendall(header(GET_FEATURES, 0))
        self.assertEqual(len(first.recv(20)), 20)
        second = self.connect()
        self.assertEqual(second.recv(4096), b"")
        self.assertIn("a second front-end was refused", self.d.stderr())


if __name__ == "__main__":
    unittest.main()
