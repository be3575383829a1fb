"""VLANs in l2switch mode between real Linux guests.

One zcswitchd in l2switch mode with five ports:
  g1, g2   QEMU guests on access ports of VLAN 10 (10.0.0.1, 10.0.0.2)
  g3       a QEMU guest on an access port of VLAN 20 (10.0.0.3), in the same
           IP subnet as the others
  tap10    net_pcap, access port of VLAN 10, writing vlan10.pcap
  trunk    net_pcap, trunk of VLANs 10 and 20, writing trunk.pcap; it also
           reads trunk-in.pcap: frames a trunk must refuse (untagged,
           priority-tagged, tagged with a VLAN it does not carry)

The guests run without IPv6, so the only frames on the wire are the test's
pings and ARP (requests, replies and the kernels' unicast revalidations). The test shows that
  - g1 and g2 ping each other without loss, and the FDB then holds both of
    them, learned in VLAN 10 on their own ports;
  - g3 reaches neither, and nothing it sends reaches a VLAN-10 port: its ARP
    broadcasts go to the trunk only, tagged 20; nothing at all reaches g3
    (VLAN 20 has no other member that sends), not even g2's broadcast asking
    for g3's address;
  - once learned, unicast between g1 and g2 goes to the other guest only:
    ten more pings add nothing to tap10 or the trunk;
  - the pcaps hold what flooding owes them: tap10 the VLAN-10 broadcasts
    (g1's and g2's ARP requests) untagged, the trunk the same frames tagged 10
    plus g3's tagged 20;
  - the trunk's refused frames are counted as vlan_filter and never learned;
    no other drop happens.
"""
import struct
import time
import unittest

from guest import GuestTestCase
from zctest import final_port_stats, pcap_frames

CONFIG = """
eal: [-l, "0,1", --no-huge, -m, "512", --no-pci]
forwarding: {mode: l2switch, lcores: [1]}
ports:
  - {name: g1, type: vhost-user, socket: "%(wd)s/g1.sock", vlan: 10}
  - {name: g2, type: vhost-user, socket: "%(wd)s/g2.sock", vlan: 10}
  - {name: g3, type: vhost-user, socket: "%(wd)s/g3.sock", vlan: 20}
  - {name: tap10, type: ethdev, devargs: "net_pcap0,tx_pcap=%(wd)s/vlan10.pcap", vlan: 10}
  - name: trunk
    type: ethdev
    devargs: "net_pcap1,rx_pcap=%(wd)s/trunk-in.pcap,tx_pcap=%(wd)s/trunk.pcap"
    trunk: [10, 20]
"""
GUESTS = {  # name: (MAC, IP)
    "g1": ("52:54:00:00:00:01", "10.0.0.1"),
    "g2": ("52:54:00:00:00:02", "10.0.0.2"),
    "g3": ("52:54:00:00:00:03", "10.0.0.3"),
}
ROGUE_MAC = "02:00:00:00:00:99"  # source of the frames the trunk must refuse
BROADCAST = b"\xff" * 6
ETH_ARP = 0x0806
ETH_VLAN = 0x8100
PINGS = 10


def mac_bytes(mac):
    return bytes.fromhex(mac.replace(":", ""))


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, frame in enumerate(frames):
            f.write(struct.pack("<IIII", i, 0, len(frame), len(frame)))
            f.write(frame)


def parse(frame):
    """(dst, src, VLAN ID or None, ethertype, payload) of an Ethernet frame."""
    dst, src, ethertype = frame[0:6], frame[6:12], struct.unpack("!H", frame[12:14])[0]
    if ethertype == ETH_VLAN:
        tci, ethertype = struct.unpack("!HH", frame[14:18])
        return dst, src, tci & 0xfff, ethertype, frame[18:]
    return dst, src, None, ethertype, frame[14:]


def untag(frame):
    if struct.unpack("!H", frame[12:14])[0] == ETH_VLAN:
        return frame[:12] + frame[16:]
    return frame


def arp_request(payload):
    """(sender IP, target IP) of an ARP request, or None."""
    if len(payload) < 28 or struct.unpack("!H", payload[6:8])[0] != 1:
        return None
    ip = lambda b: ".".join(map(str, b))
    return ip(payload[14:18]), ip(payload[24:28])


def arp_broadcasts(frames):
    """{(src MAC, VLAN, sender IP, target IP)} of the ARP requests broadcast
    in `frames`."""
    out = set()
    for frame in frames:
        dst, src, vlan, ethertype, payload = parse(frame)
        req = arp_request(payload) if ethertype == ETH_ARP else None
        if dst == BROADCAST and req:
            out.add((src, vlan) + req)
    return out


def refused_by_a_trunk():
    """Broadcasts a trunk of [10, 20] must refuse: untagged (a trunk has no
    native VLAN), priority-tagged (VLAN 0 counts as untagged) and tagged 30."""
    body = struct.pack("!H", 0x88b5) + bytes(46)  # local experimental ethertype
    head = BROADCAST + mac_bytes(ROGUE_MAC)
    tag = lambda tci: struct.pack("!HH", ETH_VLAN, tci)
    return [head + body, head + tag(0x2000) + body, head + tag(30) + body]


class QemuVlansTest(GuestTestCase):
    def settled(self, d):
        """Port counters once two readings half a second apart agree: a frame
        may sit between a guest's ring and the switch for a moment."""
        last = None
        for _ in range(30):
            now = self.port_stats(d)
            if now == last:
                return now
            last = now
            time.sleep(0.5)
        self.fail(f"counters still moving: {last}")

    def moved(self, before, after):
        """The counters' deltas from `before` to `after`, checked against
        what the VLANs allow whatever the guests sent meanwhile (the guests'
        kernels may revalidate their neighbours with unicast ARP at any time):
          - g1 got exactly what g2 sent and g2 what g1 sent: every frame of
            either is unicast to the other or flooded to all of VLAN 10;
          - tap10 got nothing but floods from g1 and g2;
          - the trunk got what tap10 got, plus every frame of g3 (VLAN 20 has
            no other member, so all of g3's frames are floods);
          - g3 got nothing."""
        moved = {n: {k: after[n][k] - before[n][k] for k in ("rx_packets", "tx_packets")}
                 for n in after}
        self.assertEqual(moved["g1"]["tx_packets"], moved["g2"]["rx_packets"], moved)
        self.assertEqual(moved["g2"]["tx_packets"], moved["g1"]["rx_packets"], moved)
        self.assertLessEqual(moved["tap10"]["tx_packets"],
                             moved["g1"]["rx_packets"] + moved["g2"]["rx_packets"], moved)
        self.assertEqual(moved["trunk"]["tx_packets"],
                         moved["tap10"]["tx_packets"] + moved["g3"]["rx_packets"], moved)
        self.assertEqual(moved["g3"]["tx_packets"], 0, moved)
        return moved

    def fdb(self, d):
        reply = d.control("show", "fdb")
        self.assertTrue(reply.get("ok"), reply)
        return reply["data"]

    def wait_learned(self, d, names, timeout=10):
        """The FDB once it holds each guest in `names` (learning is done by
        the control thread, a moment after the frame)."""
        deadline = time.monotonic() + timeout
        while True:
            fdb = self.fdb(d)
            macs = {e["mac"].lower() for e in fdb["entries"]}
            if all(GUESTS[n][0] in macs for n in names) or time.monotonic() > deadline:
                return fdb
            time.sleep(0.2)

    def ping(self, g, dst, count, expect_replies):
        # A reply may take seconds under TCG; where none is due, 3 s of
        # waiting show none comes.
        wait = 10 if expect_replies else 3
        rc, out = g.run(f"ping -c {count} -i 0.2 -W {wait} {dst}", timeout=90)
        if expect_replies:
            self.assertEqual(rc, 0, out)
            self.assertIn(f"{count} packets transmitted, {count} packets received, "
                          "0% packet loss", out)
        else:
            # Without an ARP reply nothing is sent; busybox ping either
            # reports 100% loss or stops at the first unreachable sendto.
            self.assertNotEqual(rc, 0, out)
            self.assertNotIn("bytes from", out)
            self.assertTrue("100% packet loss" in out or "Host is unreachable" in out, out)
        return out

    def test_vlans_isolate_guests(self):
        self.showing_logs(self.vlans_isolate_guests)

    def vlans_isolate_guests(self):
        wd = self.workdir
        write_pcap(f"{wd}/trunk-in.pcap", refused_by_a_trunk())
        d = self.start(self.write("zc.yaml", CONFIG % {"wd": wd}))
        d.wait_ready()
        self.assertEqual(d.control("show", "fwd")["data"]["mode"], "l2switch")
        self.step("zcswitchd forwarding")
        guests = {n: self.boot(n, f"{wd}/{n}.sock", mac, f"{ip}/24", cmdline=("ipv6.disable=1",))
                  for n, (mac, ip) in GUESTS.items()}
        for g in guests.values():
            self.step(f"{g.name}: {g.wait_ready()}")
        for port in ("g1", "g2", "g3", "tap10", "trunk"):
            d.wait_metric("zcswitch_port_link_up", 1, port=port)
        g1, g2, g3 = guests["g1"], guests["g2"], guests["g3"]
        self.step("every link up")

        # VLAN 10 works, and the FDB learns its guests where they are.
        self.ping(g1, "10.0.0.2", 5, True)
        self.ping(g2, "10.0.0.1", 5, True)
        self.step("g1 <-> g2 (VLAN 10): 5 pings each way, none lost")
        fdb = self.wait_learned(d, ("g1", "g2"))
        entries = {(e["mac"].lower(), e["vlan"]): e for e in fdb["entries"]}
        for n in ("g1", "g2"):
            e = entries.get((GUESTS[n][0], 10))
            self.assertIsNotNone(e, fdb)
            self.assertEqual((e["port"], e["type"]), (n, "learned"), e)
        self.assertNotIn(ROGUE_MAC, {mac for mac, _ in entries}, fdb)
        self.step(f"FDB: g1 and g2 learned in VLAN 10 on their ports; stats {fdb['stats']}")

        # g3 (VLAN 20) reaches neither: its ARP broadcasts go to the trunk only.
        before = self.settled(d)
        for dst in ("10.0.0.1", "10.0.0.2"):
            self.ping(g3, dst, 3, False)
        after = self.settled(d)
        moved = self.moved(before, after)
        self.assertGreater(moved["g3"]["rx_packets"], 0, moved)
        rc, out = g1.run("ip neigh")
        self.assertNotIn(GUESTS["g3"][0], out)
        self.step(f"g3 (VLAN 20) reaches neither g1 nor g2; its {moved['g3']['rx_packets']} "
                  "frames went to the trunk only")
        fdb = self.wait_learned(d, ("g3",))
        g3_entries = [e for e in fdb["entries"] if e["mac"].lower() == GUESTS["g3"][0]]
        self.assertEqual([(e["vlan"], e["port"]) for e in g3_entries], [(20, "g3")], fdb)

        # VLAN 10's broadcasts do not reach g3 either.
        before = after
        self.ping(g2, "10.0.0.3", 3, False)
        after = self.settled(d)
        moved = self.moved(before, after)
        self.assertGreater(moved["tap10"]["tx_packets"], 0, moved)
        self.step(f"g2's broadcasts for 10.0.0.3 flooded to g1, tap10 and the trunk "
                  f"({moved['tap10']['tx_packets']}), none to g3")

        # Learned unicast goes to its port only.
        before = after
        self.ping(g1, "10.0.0.2", PINGS, True)
        after = self.settled(d)
        moved = self.moved(before, after)
        self.assertGreaterEqual(moved["g1"]["rx_packets"], PINGS, moved)
        self.assertGreaterEqual(moved["g2"]["rx_packets"], PINGS, moved)
        for n in ("tap10", "trunk"):
            self.assertEqual(moved[n]["tx_packets"], 0, f"{n}: {moved}")
        self.step(f"{PINGS} more pings g1 -> g2: nothing to tap10, the trunk or g3")

        # The same accounting holds over the whole run, the first pings (and
        # whatever the switch flooded before it had learned) included.
        stats = after
        self.moved({n: {"rx_packets": 0, "tx_packets": 0} for n in stats}, stats)
        for n, s in stats.items():
            want = {r: 0 for r in s["drops"]}
            if n == "trunk":
                want["vlan_filter"] = len(refused_by_a_trunk())
            self.assertEqual(s["drops"], want, f"{n}: {stats}")
        self.step("drops: only the trunk's " + str(len(refused_by_a_trunk()))
                  + " refused frames (vlan_filter); counters: " + "; ".join(
                      f"{n} rx {s['rx_packets']} tx {s['tx_packets']}" for n, s in stats.items()))
        fdb = self.fdb(d)
        self.assertNotIn(ROGUE_MAC, {e["mac"].lower() for e in fdb["entries"]}, fdb)

        for g in guests.values():
            g.close()
        self.assertEqual(d.stop(), 0, d.stderr())
        final = final_port_stats(d.stdout())
        self.step("guests and zcswitchd stopped")
        self.check_pcaps(final, stats)

    def check_pcaps(self, final, stats):
        vlan10 = pcap_frames(f"{self.workdir}/vlan10.pcap")
        trunk = pcap_frames(f"{self.workdir}/trunk.pcap")
        self.assertEqual(len(vlan10), final["tap10"]["tx-packets"], final)
        self.assertEqual(len(trunk), final["trunk"]["tx-packets"], final)
        g1, g2, g3 = (mac_bytes(GUESTS[n][0]) for n in ("g1", "g2", "g3"))

        # The access port's capture: untagged, nothing of g3's, nothing refused.
        self.assertEqual([f for f in vlan10 if parse(f)[2] is not None], [], "tagged on tap10")
        self.assertEqual([f for f in vlan10 if g3 in f], [], "g3's MAC on tap10")
        self.assertEqual([f for f in vlan10 if mac_bytes(ROGUE_MAC) in f], [])
        arps = arp_broadcasts(vlan10)
        self.assertIn((g1, None, "10.0.0.1", "10.0.0.2"), arps, arps)
        self.assertIn((g2, None, "10.0.0.2", "10.0.0.3"), arps, arps)

        # The trunk's capture: every frame tagged, with its own VLAN.
        by_vlan = {}
        for f in trunk:
            _, src, vlan, _, _ = parse(f)
            self.assertIn(vlan, (10, 20), f.hex())
            self.assertEqual(vlan, 20 if src == g3 else 10, f.hex())
            by_vlan.setdefault(vlan, []).append(f)
        arps = arp_broadcasts(trunk)
        self.assertIn((g1, 10, "10.0.0.1", "10.0.0.2"), arps, arps)
        self.assertIn((g2, 10, "10.0.0.2", "10.0.0.3"), arps, arps)
        self.assertIn((g3, 20, "10.0.0.3", "10.0.0.1"), arps, arps)
        self.assertIn((g3, 20, "10.0.0.3", "10.0.0.2"), arps, arps)
        # VLAN 20's only other member is the trunk: it got every frame of g3.
        self.assertEqual(len(by_vlan.get(20, [])), stats["g3"]["rx_packets"], stats)
        # Both VLAN-10 ports that never send got the same floods, in order.
        self.assertEqual([untag(f) for f in by_vlan.get(10, [])], vlan10)
        self.step(f"pcaps: tap10 {len(vlan10)} frames, untagged; trunk {len(by_vlan.get(10, []))}"
                  f" tagged 10 (the same frames) and {len(by_vlan.get(20, []))} tagged 20 (g3's); "
                  f"ARP broadcasts from g1 and g2 on both, from g3 on the trunk only")


if __name__ == "__main__":
    unittest.main()
