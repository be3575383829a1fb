"""Every configuration under config/ starts and forwards.

Each runs in a scratch directory laid out as it expects (pcaps generated
where its relative paths point), and is stopped with SIGTERM, which must
exit 0 with the final counters printed.
"""
import glob
import os
import re
import signal
import subprocess
import time
import unittest

from zctest import (SOURCE_DIR, ZCSWITCHD, DaemonTestCase, control, final_port_stats, pcap_frames,
                    pcaptool)

CONFIG_DIR = os.path.join(SOURCE_DIR, "config")

# The demo's guests (scripts/run-demo.sh) and the sender of build/demo/in.pcap.
GUEST_A_MAC = "02:00:00:00:00:0a"
GUEST_B_MAC = "02:00:00:00:00:02"
UPLINK_HOST_MAC = "02:00:00:00:00:01"
BROADCAST = "ff:ff:ff:ff:ff:ff"


def mac_bytes(mac):
    return bytes.fromhex(mac.replace(":", ""))


def fdb_entries(reply):
    """`show fdb`'s reply -> {(mac, vlan, port, type)}."""
    return {(e["mac"].lower(), e["vlan"], e["port"], e["type"]) for e in reply["data"]["entries"]}


def printed_fdb(text):
    """Every FDB table in zcswitchd's printed reports -> a list of
    {(mac, vlan, port, type)}, in order."""
    tables = []
    for block in text.split("FDB: ")[1:]:
        rows = set()
        for line in block.splitlines()[2:]:
            fields = line.split()
            if len(fields) != 5 or not re.fullmatch(r"[0-9a-f:]{17}", fields[0].lower()):
                break
            rows.add((fields[0].lower(), int(fields[1]), fields[2], fields[3]))
        tables.append(rows)
    return tables


class ExamplesTest(DaemonTestCase):
    def run_example(self, name, wait_port, count):
        d = self.start(os.path.join(CONFIG_DIR, name))
        d.wait_ready()
        d.wait_metric("zcswitch_port_tx_packets_total", count, port=wait_port)
        self.assertEqual(d.stop(), 0, d.stderr())
        return d

    def wait_fdb(self, d, want, timeout=10):
        """Polls `show fdb` until it holds every entry of `want`; returns it."""
        deadline = time.time() + timeout
        while True:
            reply = d.control("show", "fdb")
            self.assertTrue(reply["ok"], reply)
            entries = fdb_entries(reply)
            if want <= entries or time.time() > deadline:
                self.assertLessEqual(want, entries, reply["text"])
                return reply
            time.sleep(0.1)

    def test_demo(self):
        # The demo's config on its own, without run-demo.sh's guests: the
        # client-mode guest ports wait, the uplink's replay is learned and
        # flooded to the NIC alone (no guest is up, and never back out of the
        # uplink).
        os.makedirs(f"{self.workdir}/build/demo")
        pcaptool("gen", f"{self.workdir}/build/demo/in.pcap", 1000, "64,128,512,1518")
        d = self.start(os.path.join(CONFIG_DIR, "demo.yaml"))
        d.wait_ready()
        d.wait_metric("zcswitch_port_rx_packets_total", 1000, port="uplink")
        self.assertEqual(d.control("show", "fwd")["data"]["mode"], "l2switch")
        reply = self.wait_fdb(d, {(UPLINK_HOST_MAC, 0, "uplink", "learned")})
        # Besides, the demo's static gateway entry.
        self.assertEqual(len(reply["data"]["entries"]), 2, reply["text"])
        self.assertEqual(d.stop(), 0, d.stderr())
        self.assertEqual(pcap_frames(f"{self.workdir}/build/demo/out.pcap"), [])
        stats = final_port_stats(d.stdout())
        self.assertEqual(stats["uplink"]["rx-packets"], 1000)
        for port in ("guest_a", "guest_b", "guest_c", "uplink"):
            self.assertEqual(stats[port]["tx-packets"], 0, port)
        # Flooded to the NIC, and to the guest ports, whose links are down.
        self.assertEqual(stats["nic"]["tx-packets"], 1000)
        self.assertIn("guest_a link_down=1000  guest_b link_down=1000  guest_c link_down=1000",
                      d.stdout())
        self.assertIn((UPLINK_HOST_MAC, 0, "uplink", "learned"),
                      printed_fdb(d.stdout().split("Final lcore statistics")[1])[0])

    def test_demo_script_with_guests(self):
        # What `make run` runs, stopped as Ctrl-C stops it: scripts/run-demo.sh
        # starts guest B (macswap) and, once B forwards, guest A (sends to
        # B's MAC and answers each reply with another frame to B); zcswitchd's
        # client-mode ports connect to both, and l2switch forwards between
        # them by the MACs it learned.
        os.makedirs(f"{self.workdir}/build/demo")
        pcaptool("gen", f"{self.workdir}/build/demo/in.pcap", 1000, "64,128,512,1518")
        ctl = f"{self.workdir}/zcswitch.sock"
        env = dict(os.environ, CONFIG=os.path.join(CONFIG_DIR, "demo.yaml"), DURATION="",
                   STATS_PERIOD="1", ZCSWITCHD=ZCSWITCHD)
        want_fdb = {(GUEST_A_MAC, 0, "guest_a", "learned"), (GUEST_B_MAC, 0, "guest_b", "learned"),
                    (UPLINK_HOST_MAC, 0, "uplink", "learned")}
        with open(f"{self.workdir}/demo.out", "w+") as out, \
                open(f"{self.workdir}/demo.err", "w+") as err:
            script = subprocess.Popen(
                [os.path.join(SOURCE_DIR, "scripts/run-demo.sh"), f"--control_socket={ctl}",
                 "--metrics_address=127.0.0.1:0", "--", f"--file-prefix=zcdemo{os.getpid()}"],
                cwd=self.workdir, env=env, stdout=out, stderr=err, start_new_session=True)
            try:
                # Both ways, with the guests learned where they are.
                deadline = time.time() + 60
                ports, fdb = {}, set()
                while time.time() < deadline and script.poll() is None:
                    time.sleep(0.5)
                    try:
                        reply = control(ctl, "show", "port", "stats")
                        fdb_reply = control(ctl, "show", "fdb")
                    except OSError:  # not listening yet
                        continue
                    if not reply["ok"] or not fdb_reply["ok"]:  # the ports are not there yet
                        continue
                    ports = {p["name"]: p for p in reply["data"]["ports"]}
                    fdb = fdb_entries(fdb_reply)
                    if (ports["guest_a"]["tx_packets"] >= 10000 and
                            ports["guest_b"]["tx_packets"] >= 10000 and want_fdb <= fdb):
                        break
                # Seen again a stats period later, so that a printed report has it.
                time.sleep(1.5)
                # Ctrl-C: SIGINT to the whole foreground process group.
                os.killpg(script.pid, signal.SIGINT)
                rc = script.wait(timeout=30)
            finally:
                if script.poll() is None:
                    os.killpg(script.pid, signal.SIGKILL)
                    script.wait()
            out.seek(0)
            stdout = out.read()
            err.seek(0)
            stderr = err.read()
        logs = ""
        for name in ("guest-a.log", "guest-b.log", "guest-c.log"):
            with open(f"{self.workdir}/build/demo/{name}") as f:
                logs += f"--- {name}\n" + f.read()[-2000:]
        self.assertTrue(ports, stderr + logs)
        # A -> B: what guest_a received went out to guest_b; B -> A the same.
        self.assertGreaterEqual(ports["guest_b"]["tx_packets"], 10000, stderr + logs)
        self.assertGreaterEqual(ports["guest_a"]["tx_packets"], 10000, stderr + logs)
        for name in ("guest_a", "guest_b"):
            # Nothing lost between them while they both run; the uplink's
            # replay at start found the guests' links down (or B's just up).
            drops = dict(ports[name]["drops"])
            self.assertLessEqual(drops.pop("link_down"), 1000, ports[name])
            self.assertEqual(sum(drops.values()), 0, ports[name])
        self.assertLessEqual(want_fdb, fdb)
        self.assertEqual(rc, 0, stderr)
        self.assertIn("port guest_a (build/demo/guest-a.sock): front-end connected", stderr)
        self.assertIn("port guest_b (build/demo/guest-b.sock): front-end connected", stderr)
        # The periodic report shows the guests' traffic and the FDB with both.
        reports = stdout.split("Final port statistics")[0]
        self.assertTrue(any(want_fdb <= t for t in printed_fdb(reports)), reports[-3000:])
        self.assertRegex(reports, r"guest_a +up +[1-9]\d* ")
        # Zero-copy at work: C's frames to the NIC go by reference, A's and
        # B's to each other are copied (a guest is not a prompt destination).
        self.assertRegex(reports, r"guest_c +lent +[1-9]\d* +copied +0\n", reports[-3000:])
        self.assertRegex(reports, r"guest_a +lent +\d+ +copied +[1-9]\d*: not_prompt=[1-9]",
                         reports[-3000:])
        stats = final_port_stats(stdout)
        self.assertGreaterEqual(stats["guest_a"]["rx-packets"], ports["guest_a"]["rx_packets"])
        self.assertGreaterEqual(stats["guest_b"]["tx-packets"], ports["guest_b"]["tx_packets"])
        # The uplink gets only what was flooded: A's first frames to B (not
        # yet learned), perhaps B's first replies to A; never the guests'
        # traffic once both are learned.
        a, b, host = mac_bytes(GUEST_A_MAC), mac_bytes(GUEST_B_MAC), mac_bytes(UPLINK_HOST_MAC)
        flooded = pcap_frames(f"{self.workdir}/build/demo/out.pcap")
        self.assertGreater(len(flooded), 0)
        self.assertLess(len(flooded), ports["guest_b"]["tx_packets"] / 10)
        for f in flooded:
            self.assertIn((f[6:12], f[:6]), {(a, b), (b, a), (b, host)}, f[:14].hex())
        # The EXIT trap stopped both guests.
        for guest in ("A", "B", "C"):
            pid = int(re.search(rf"guest {guest} \(dpdk-testpmd virtio-user, pid (\d+)",
                                stdout).group(1))
            self.assertFalse(os.path.exists(f"/proc/{pid}"), f"guest {guest} ({pid}) still running")

    def test_demo_script_with_duration(self):
        # `make run DURATION=N`: zcswitchd gets one SIGINT after N seconds and
        # stops in order, final report and all, every time.
        os.makedirs(f"{self.workdir}/build/demo")
        pcaptool("gen", f"{self.workdir}/build/demo/in.pcap", 1000, "64,128,512,1518")
        env = dict(os.environ, CONFIG=os.path.join(CONFIG_DIR, "demo.yaml"), DURATION="6",
                   STATS_PERIOD="2", ZCSWITCHD=ZCSWITCHD)
        for run in range(3):
            script = subprocess.Popen(
                [os.path.join(SOURCE_DIR, "scripts/run-demo.sh"),
                 f"--control_socket={self.workdir}/zcswitch.sock", "--metrics_address=127.0.0.1:0",
                 "--", f"--file-prefix=zcdemo{os.getpid()}"],
                cwd=self.workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True, start_new_session=True)
            try:
                stdout, stderr = script.communicate(timeout=60)
            finally:
                if script.poll() is None:  # the guests too
                    os.killpg(script.pid, signal.SIGKILL)
                    script.communicate()
            self.assertEqual(script.returncode, 0, stderr)
            self.assertIn("zcswitchd: Interrupt, stopping", stderr)
            stats = final_port_stats(stdout)  # fails if zcswitchd died before its report
            # Traffic is test_demo_script_with_guests' business: on a loaded
            # machine guest A may not be up within 6 s, and that is no fault.
            self.assertEqual(set(stats), {"guest_a", "guest_b", "guest_c", "uplink", "nic"},
                             f"run {run}")
            for guest in ("A", "B", "C"):
                pid = int(re.search(rf"guest {guest} \(dpdk-testpmd virtio-user, pid (\d+)",
                                    stdout).group(1))
                self.assertFalse(os.path.exists(f"/proc/{pid}"), f"guest {guest} still running")

    def test_io_pcap(self):
        pcaptool("gen", f"{self.workdir}/in.pcap", 500, "64,1518")
        self.run_example("io-pcap.yaml", "wire_out", 500)
        self.assertEqual(
            pcaptool("cmp", f"{self.workdir}/in.pcap", f"{self.workdir}/out.pcap")[0], 0)

    def test_macswap_pcap(self):
        pcaptool("gen", f"{self.workdir}/in.pcap", 300, "64,128")
        self.run_example("macswap-pcap.yaml", "loop", 300)
        rc, out = pcaptool("cmp", "--swap-macs", f"{self.workdir}/in.pcap",
                           f"{self.workdir}/out.pcap", check=False)
        self.assertEqual(rc, 0, out)
        # Unswapped, the same files differ: the check can fail.
        self.assertNotEqual(pcaptool("cmp", f"{self.workdir}/in.pcap",
                                     f"{self.workdir}/out.pcap", check=False)[0], 0)

    def test_l2switch_pcap(self):
        hosts = ["02:00:00:00:01:01", "02:00:00:00:01:02", "02:00:00:00:01:03"]
        static = "02:00:00:00:00:99"
        pcaptool("gen", f"--src={','.join(hosts)}", f"--dst={BROADCAST},{static}",
                 f"{self.workdir}/hosts.pcap", 300, "64,512")
        d = self.start(os.path.join(CONFIG_DIR, "l2switch-pcap.yaml"))
        d.wait_ready()
        d.wait_metric("zcswitch_port_tx_packets_total", 300, port="left")
        d.wait_metric("zcswitch_port_tx_packets_total", 150, port="right")
        d.wait_metric("zcswitch_port_tx_packets_total", 150, port="sink")
        self.assertEqual(d.control("show", "fwd")["data"]["mode"], "l2switch")
        # The three senders learned behind the uplink, next to the static entry.
        want = {(h, 0, "uplink", "learned") for h in hosts} | {(static, 0, "left", "static")}
        reply = self.wait_fdb(d, want)
        self.assertEqual(fdb_entries(reply), want, reply["text"])
        self.assertEqual(reply["data"]["stats"]["learned"], 3)
        self.assertEqual(reply["data"]["stats"]["moves"], 0)
        self.assertEqual(d.stop(), 0, d.stderr())
        # left: everything (broadcasts flooded, unicasts to its static MAC);
        # right: the broadcasts alone; uplink: nothing back.
        w = self.workdir
        self.assertEqual(pcaptool("cmp", f"{w}/hosts.pcap", f"{w}/left.pcap", check=False)[0], 0)
        pcaptool("select", f"--dst={BROADCAST}", f"{w}/hosts.pcap", f"{w}/broadcasts.pcap")
        rc, out = pcaptool("cmp", f"{w}/broadcasts.pcap", f"{w}/right.pcap", check=False)
        self.assertEqual(rc, 0, out)
        self.assertEqual(pcap_frames(f"{w}/uplink.pcap"), [])
        stats = final_port_stats(d.stdout())
        self.assertEqual(stats["sink"]["tx-packets"], 150)
        self.assertEqual(stats["uplink"]["rx-dropped"], 0)
        self.assertEqual(printed_fdb(d.stdout().split("Final lcore statistics")[1])[0], want)

    def test_vlans(self):
        hosts = ["02:00:00:00:01:01", "02:00:00:00:01:02", "02:00:00:00:01:03"]
        blue_host = "02:00:00:00:20:01"
        w = self.workdir
        # VLANs 10, 20, 30 and untagged in turn: 100 frames of each.
        pcaptool("gen", f"--src={','.join(hosts)}", f"--dst={BROADCAST}", "--vlan=10,20,30,0",
                 f"{w}/trunk-in.pcap", 400, "64,1000")
        pcaptool("gen", f"--src={blue_host}", f"--dst={BROADCAST}", f"{w}/blue-in.pcap", 100)
        d = self.start(os.path.join(CONFIG_DIR, "vlans.yaml"))
        d.wait_ready()
        for port in ("red1", "red2", "blue", "trunk"):
            d.wait_metric("zcswitch_port_tx_packets_total", 100, port=port)
        want = ({(h, v, "trunk", "learned") for h in hosts for v in (10, 20)} |
                {(blue_host, 20, "blue", "learned")})
        reply = self.wait_fdb(d, want)
        self.assertEqual(fdb_entries(reply), want, reply["text"])
        ports = {p["name"]: p for p in d.control("show", "port", "stats")["data"]["ports"]}
        # The trunk refuses VLAN 30 (not one of its VLANs) and untagged frames.
        self.assertEqual(ports["trunk"]["drops"]["vlan_filter"], 200, ports["trunk"])
        self.assertEqual(d.stop(), 0, d.stderr())
        # Each access port gets its VLAN's frames, untagged, in order.
        pcaptool("select", "--vlan=10", "--untag", f"{w}/trunk-in.pcap", f"{w}/want10.pcap")
        pcaptool("select", "--vlan=20", "--untag", f"{w}/trunk-in.pcap", f"{w}/want20.pcap")
        for got, want_file in (("red1", "want10"), ("red2", "want10"), ("blue", "want20")):
            rc, out = pcaptool("cmp", f"{w}/{want_file}.pcap", f"{w}/{got}.pcap", check=False)
            self.assertEqual(rc, 0, f"{got}: {out}")
        # blue's untagged frames leave the trunk tagged 20.
        pcaptool("gen", f"--src={blue_host}", f"--dst={BROADCAST}", "--vlan=20",
                 f"{w}/blue-tagged.pcap", 100)
        rc, out = pcaptool("cmp", f"{w}/blue-tagged.pcap", f"{w}/trunk-out.pcap", check=False)
        self.assertEqual(rc, 0, out)
        self.assertEqual(pcap_frames(f"{w}/plain.pcap"), [])
        stats = final_port_stats(d.stdout())
        self.assertEqual(stats["plain"]["tx-packets"], 0)
        self.assertEqual(stats["trunk"]["rx-dropped"], 200)
        self.assertIn("trunk vlan_filter=200", d.stdout())

    def test_io_null(self):
        d = self.run_example("io-null.yaml", "sink", 1000000)
        stats = final_port_stats(d.stdout())
        self.assertEqual(stats["generator"]["rx-packets"], stats["sink"]["tx-packets"])

    def test_every_example_is_covered(self):
        tested = {"demo.yaml", "io-pcap.yaml", "macswap-pcap.yaml", "io-null.yaml",
                  "l2switch-pcap.yaml", "vlans.yaml"}
        found = {os.path.basename(p) for p in glob.glob(f"{CONFIG_DIR}/*.yaml")}
        self.assertEqual(found, tested, "add a test for each new example config")


if __name__ == "__main__":
    unittest.main()
