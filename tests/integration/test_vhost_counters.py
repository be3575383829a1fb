"""A vhost-user port's own counters, provoked by a front-end written here:
a descriptor chain pointing outside guest memory is dropped and counted as
bad_descriptors{reason=outside_memory} on the port's RX queue, kicks written
to the kick eventfd are counted although the data path never reads it, and
both show the same in `show port xstats`, /metrics and after `clear port
stats` (which zeroes the display, never the metrics)."""
import array
import mmap
import os
import socket
import struct
import time
import unittest

from zctest import DaemonTestCase

CONFIG = """
eal: [-l, "0,1", --no-huge, -m, "512", --no-pci]
forwarding: {mode: macswap, lcores: [1]}
ports:
  - {name: vm1, type: vhost-user, socket: "%s"}
"""

SET_FEATURES, SET_OWNER, SET_MEM_TABLE = 2, 3, 5
SET_VRING_NUM, SET_VRING_ADDR, SET_VRING_BASE, SET_VRING_KICK = 8, 9, 10, 12
VERSION_1 = 1 << 32
MEM_SIZE = 1 << 16
UVA = 0x7f0000000000  # the front-end's "virtual address" of its memory
QUEUE_SIZE = 16
DESC, AVAIL, USED = 0x0, 0x1000, 0x2000


class BadChainFrontend:
    """Just enough of a front-end: one memfd region, the guest's transmit
    vring (vring 1) with one available chain whose buffer lies past the end
    of guest memory."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(path)
        self.memfd = os.memfd_create("guest")
        os.ftruncate(self.memfd, MEM_SIZE)
        self.mem = mmap.mmap(self.memfd, MEM_SIZE)
        # desc[0]: 64 bytes at 1 MiB, beyond the 64 KiB region.
        struct.pack_into("<QIHH", self.mem, DESC, 1 << 20, 64, 0, 0)
        struct.pack_into("<HHH", self.mem, AVAIL, 0, 1, 0)  # flags, idx=1, ring[0]=head 0
        self.kick = os.eventfd(0, os.EFD_NONBLOCK)

    def send(self, request, payload=b"", fds=()):
        msg = struct.pack("<III", request, 1, len(payload)) + payload
        anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
        self.sock.sendmsg([msg], anc)

    def start(self):
        self.send(SET_OWNER)
        self.send(SET_FEATURES, struct.pack("<Q", VERSION_1))
        self.send(SET_MEM_TABLE, struct.pack("<IIQQQQ", 1, 0, 0, MEM_SIZE, UVA, 0), [self.memfd])
        self.send(SET_VRING_NUM, struct.pack("<II", 1, QUEUE_SIZE))
        self.send(SET_VRING_ADDR, struct.pack("<IIQQQQ", 1, 0, UVA + DESC, UVA + USED,
                                              UVA + AVAIL, 0))
        self.send(SET_VRING_BASE, struct.pack("<II", 1, 0))
        # Without protocol features the vring is enabled by its kick fd.
        self.send(SET_VRING_KICK, struct.pack("<Q", 1), [self.kick])

    def used_idx(self):
        return struct.unpack_from("<H", self.mem, USED + 2)[0]

    def close(self):
        self.sock.close()
        os.close(self.kick)
        self.mem.close()
        os.close(self.memfd)


def xstat(reply, name, queue, reason=""):
    (value,) = [x["value"] for x in reply["data"]["xstats"]
                if (x["name"], x["queue"], x["reason"]) == (name, queue, reason)]
    return value


class VhostCountersTest(DaemonTestCase):
    def setUp(self):
        super().setUp()
        sock = os.path.join(self.workdir, "vm1.sock")
        self.d = self.start(self.write("zc.yaml", CONFIG % sock))
        self.d.wait_ready()
        self.fe = BadChainFrontend(sock)
        self.addCleanup(self.fe.close)
        self.fe.start()

    def wait_xstat(self, name, queue, want, reason=""):
        deadline = time.time() + 10
        while time.time() < deadline:
            r = self.d.control("show", "port", "xstats", "vm1")
            self.assertTrue(r["ok"], r)
            if xstat(r, name, queue, reason) >= want:
                return r
            time.sleep(0.1)
        self.fail(f"{name}/{reason} on {queue} never reached {want}: {r['text']}")

    def test_bad_chain_is_counted_and_returned(self):
        r = self.wait_xstat("bad_descriptors", "rx0", 1, "outside_memory")
        self.assertEqual(xstat(r, "bad_descriptors", "rx0", "outside_memory"), 1)
        self.assertEqual(xstat(r, "bad_descriptors", "rx0", "too_large"), 0)
        self.assertIn("rx0    bad_descriptors.outside_memory", r["text"])
        self.assertEqual(self.fe.used_idx(), 1)  # handed back to the guest, empty
        self.assertEqual(r["data"]["rx_queues"][0]["packets"], 0)  # and not forwarded
        m = self.d.metric("zcswitch_vhost_bad_descriptors_total", port="vm1", queue="rx0",
                          reason="outside_memory")
        self.assertEqual(m, 1)
        for name in ("zcswitch_vhost_kicks_total", "zcswitch_vhost_calls_total"):
            self.assertIsNotNone(self.d.metric(name, port="vm1", queue="rx0"), name)
        self.assertIsNotNone(self.d.metric("zcswitch_vhost_drops_total", port="vm1",
                                           queue="rx0", reason="no_mbuf"))
        self.assertIsNotNone(self.d.metric("zcswitch_vhost_drops_total", port="vm1",
                                           queue="tx0", reason="too_small"))

    def test_kicks_are_counted_without_the_data_path(self):
        self.wait_xstat("bad_descriptors", "rx0", 1, "outside_memory")
        before = xstat(self.d.control("show", "port", "xstats", "vm1"), "kicks", "rx0")
        for _ in range(5):
            os.eventfd_write(self.fe.kick, 1)
            time.sleep(0.05)
        r = self.wait_xstat("kicks", "rx0", before + 5)
        self.assertEqual(xstat(r, "kicks", "rx0"), before + 5)
        self.assertEqual(self.d.metric("zcswitch_vhost_kicks_total", port="vm1", queue="rx0"),
                         before + 5)
        # Drained: the eventfd reads empty.
        with self.assertRaises(BlockingIOError):
            os.eventfd_read(self.fe.kick)

    def test_clear_zeroes_the_display_not_the_metrics(self):
        self.wait_xstat("bad_descriptors", "rx0", 1, "outside_memory")
        os.eventfd_write(self.fe.kick, 3)
        self.wait_xstat("kicks", "rx0", 3)
        self.assertTrue(self.d.control("clear", "port", "stats", "vm1")["ok"])
        r = self.d.control("show", "port", "xstats", "vm1")
        self.assertEqual(xstat(r, "bad_descriptors", "rx0", "outside_memory"), 0)
        self.assertEqual(xstat(r, "kicks", "rx0"), 0)
        os.eventfd_write(self.fe.kick, 2)
        r = self.wait_xstat("kicks", "rx0", 2)
        self.assertEqual(xstat(r, "kicks", "rx0"), 2)
        self.assertGreaterEqual(self.d.metric("zcswitch_vhost_kicks_total", port="vm1",
                                              queue="rx0"), 5)
        self.assertEqual(self.d.metric("zcswitch_vhost_bad_descriptors_total", port="vm1",
                                       queue="rx0", reason="outside_memory"), 1)

    def test_idle_port_has_zero_rates_and_its_info(self):
        self.wait_xstat("bad_descriptors", "rx0", 1, "outside_memory")
        self.d.control("show", "port", "stats", "vm1")
        time.sleep(0.3)
        r = self.d.control("show", "port", "stats", "vm1")
        rates = r["data"]["ports"][0]["rates"]
        self.assertEqual(rates, {"rx_pps": 0, "tx_pps": 0, "rx_bps": 0, "tx_bps": 0})
        self.assertGreater(r["data"]["interval_s"], 0.2)
        (info,) = self.d.control("show", "port", "info", "vm1")["data"]["ports"]
        self.assertEqual(info["type"], "vhost-user")
        self.assertIn("vm1.sock", info["description"])
        self.assertIn("connected", info["description"])
        self.assertEqual(info["vlan"], "untagged")
        self.assertEqual((info["rx_queues"], info["tx_queues"]), (1, 1))


if __name__ == "__main__":
    unittest.main()
