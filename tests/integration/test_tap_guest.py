"""A QEMU guest talks to a host network stack through a net_tap port.

The guest (10.0.1.1/24) is on a vhost-user port; a net_tap port, whose
kernel interface carries 10.0.1.100/24 inside a network namespace the test
creates, is the switch's other port (l2switch, the default mode, both ports
untagged). The guest pings the namespace and the namespace pings the guest,
without loss; each side's neighbour table then holds the other's MAC, the FDB
has learned both MACs on their ports, and the kernel's counters of the tap
interface match the switch's counters of the tap port frame for frame.

zcswitchd runs inside the namespace (`ip netns exec`), because DPDK's net_tap
creates its interface in the namespace of the process, and moving the
interface out from under the PMD afterwards breaks it: the PMD reads the
link's flags by interface name through a socket of the daemon's own
namespace, so once the interface has moved it finds no such interface and
reports the link down for good (tried: `ip link set TAP netns NS`, then up,
and zcswitchd's `show port stats` kept link_up false), and zcswitchd drops
whatever is sent to a port whose link is down. Inside the namespace the
metrics endpoint (127.0.0.1) is the namespace's own, so it is scraped from
there (Daemon(netns=...)); the vhost-user socket is a path in the file system
and QEMU, in the host's namespace, reaches it as usual.

Skipped (with the reason) without root, /dev/net/tun or `ip netns`, as in a
container without CAP_NET_ADMIN.
"""
import os
import re
import subprocess
import time
import unittest

from guest import GuestTestCase

CONFIG = """
eal: [-l, "0,1", --no-huge, -m, "512", --no-pci]
forwarding: {mode: l2switch, lcores: [1]}
ports:
  - {name: guest, type: vhost-user, socket: "%(sock)s"}
  - {name: tap, type: ethdev, devargs: "net_tap0,iface=%(tap)s"}
"""
GUEST_MAC = "52:54:00:00:01:01"
GUEST_IP = "10.0.1.1"
HOST_IP = "10.0.1.100"
PINGS = 10


def sh(*args, check=True):
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(args)}: exit {r.returncode}\n{r.stdout}{r.stderr}")
    return r


def netns_missing():
    """Why network namespaces with taps cannot be used here, or None."""
    if os.geteuid() != 0:
        return "needs root"
    if not os.path.exists("/dev/net/tun"):
        return "needs /dev/net/tun"
    probe = f"zcprobe{os.getpid()}"
    r = sh("ip", "netns", "add", probe, check=False)
    if r.returncode != 0:
        return f"`ip netns add` fails (no CAP_NET_ADMIN?): {r.stderr.strip()}"
    sh("ip", "netns", "del", probe, check=False)
    return None


class TapGuestTest(GuestTestCase):
    def setUp(self):
        missing = netns_missing()
        if missing:
            self.skipTest(missing)
        super().setUp()
        tag = os.getpid() % 100000
        self.ns = f"zctapg{tag}"
        self.tap = f"zctg{tag}"
        sh("ip", "netns", "add", self.ns)
        # Runs after tearDown, which has stopped zcswitchd (the tap goes with it).
        self.addCleanup(sh, "ip", "netns", "del", self.ns, check=False)

    def in_ns(self, *args, check=True):
        return sh("ip", "netns", "exec", self.ns, *args, check=check)

    def tap_counters(self):
        """The kernel's counters of the tap interface."""
        out = self.in_ns("sh", "-c", f"cd /sys/class/net/{self.tap}/statistics && "
                                     "echo $(cat rx_packets tx_packets rx_dropped tx_dropped)")
        return dict(zip(("rx_packets", "tx_packets", "rx_dropped", "tx_dropped"),
                        map(int, out.stdout.split())))

    def settled(self, d):
        """The switch's port counters and the tap's kernel counters once two
        readings in a row agree (a frame may be between the two for a moment)."""
        last = None
        for _ in range(20):
            now = (self.port_stats(d), self.tap_counters())
            if now == last:
                return now
            last = now
            time.sleep(0.5)
        self.fail(f"counters still moving: {last}")

    def test_guest_pings_namespace_through_tap(self):
        self.showing_logs(self.guest_pings_namespace_through_tap)

    def guest_pings_namespace_through_tap(self):
        # Only the test's own frames: no IPv6 chatter from either side (the
        # tap is created after this, so it inherits `default`).
        self.in_ns("ip", "link", "set", "lo", "up")
        for scope in ("all", "default"):
            self.in_ns("sysctl", "-qw", f"net.ipv6.conf.{scope}.disable_ipv6=1")
        sock = os.path.join(self.workdir, "guest.sock")
        d = self.start(self.write("zc.yaml", CONFIG % {"sock": sock, "tap": self.tap}),
                       netns=self.ns)
        d.wait_ready()
        self.step(f"zcswitchd forwarding inside netns {self.ns}")
        # The tap interface exists only in the namespace.
        self.assertNotEqual(sh("ip", "link", "show", self.tap, check=False).returncode, 0,
                            f"{self.tap} is visible outside {self.ns}")
        self.in_ns("ip", "addr", "add", f"{HOST_IP}/24", "dev", self.tap)
        self.in_ns("ip", "link", "set", self.tap, "up")
        tap_mac = re.search(r"link/ether (\S+)",
                            self.in_ns("ip", "link", "show", self.tap).stdout).group(1)

        g = self.boot("g", sock, GUEST_MAC, f"{GUEST_IP}/24", cmdline=("ipv6.disable=1",))
        self.step(f"g: {g.wait_ready()}")
        for port in ("guest", "tap"):
            d.wait_metric("zcswitch_port_link_up", 1, port=port)
        self.step("links up (metrics scraped inside the namespace)")

        rc, out = g.run(f"ping -c {PINGS} -i 0.2 -W 10 {HOST_IP}", timeout=90)
        self.assertEqual(rc, 0, out)
        self.assertIn(f"{PINGS} packets transmitted, {PINGS} packets received, 0% packet loss",
                      out)
        self.step(f"g -> {HOST_IP} (tap in {self.ns}): {PINGS} pings, none lost")
        r = self.in_ns("ping", "-c", str(PINGS), "-i", "0.2", "-W", "5", GUEST_IP, check=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"{PINGS} packets transmitted, {PINGS} received, 0% packet loss", r.stdout)
        self.step(f"{self.ns} -> g: {PINGS} pings, none lost")

        # Each side learned the other's MAC from frames that crossed the switch.
        neigh = self.in_ns("ip", "neigh", "show", "dev", self.tap).stdout
        self.assertRegex(neigh, rf"(?m)^{re.escape(GUEST_IP)} lladdr {GUEST_MAC} ", neigh)
        rc, out = g.run(f"ip neigh show {HOST_IP}")
        self.assertEqual(rc, 0, out)
        self.assertIn(f"lladdr {tap_mac}", out)
        self.step(f"neighbours: {self.ns} has {GUEST_MAC}, g has {tap_mac}")
        fdb = d.control("show", "fdb")["data"]
        learned = {(e["mac"].lower(), e["vlan"], e["port"], e["type"]) for e in fdb["entries"]}
        self.assertEqual(learned, {(GUEST_MAC, 0, "guest", "learned"),
                                   (tap_mac.lower(), 0, "tap", "learned")}, fdb)
        self.step("FDB: the guest learned on port guest, the tap's MAC on port tap")

        stats, kernel = self.settled(d)
        # Every frame the switch wrote into the tap reached the namespace's
        # stack, and every frame the stack sent on the tap reached the switch,
        # which passed it to the guest (unicast or flooded, the guest's port
        # is the only other one).
        self.assertEqual(kernel["rx_packets"], stats["tap"]["tx_packets"], (kernel, stats))
        self.assertEqual(kernel["tx_packets"], stats["tap"]["rx_packets"], (kernel, stats))
        self.assertEqual((kernel["rx_dropped"], kernel["tx_dropped"]), (0, 0), kernel)
        # Requests and replies both ways, plus ARP.
        self.assertGreaterEqual(stats["tap"]["tx_packets"], 2 * PINGS, stats)
        self.assertGreaterEqual(stats["guest"]["tx_packets"], 2 * PINGS, stats)
        self.assertEqual(stats["guest"]["rx_packets"], stats["tap"]["tx_packets"], stats)
        self.assertEqual(stats["tap"]["rx_packets"], stats["guest"]["tx_packets"], stats)
        for name, s in stats.items():
            self.assertEqual(set(s["drops"].values()), {0}, f"{name}: {s['drops']}")
        self.step("counters: " + "; ".join(
            f"{n} rx {s['rx_packets']} tx {s['tx_packets']}" for n, s in stats.items())
            + f"; kernel tap rx {kernel['rx_packets']} tx {kernel['tx_packets']}")

        g.close()
        self.assertEqual(d.stop(), 0, d.stderr())
        self.step("guest and zcswitchd stopped")


if __name__ == "__main__":
    unittest.main()
