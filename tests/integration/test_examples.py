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

from zctest import SOURCE_DIR, ZCSWITCHD, DaemonTestCase, control, final_port_stats, pcaptool

CONFIG_DIR = os.path.join(SOURCE_DIR, "config")


class ExamplesTest(DaemonTestCase):
    def run_example(self, name, wait_port, count):
        d = self.start(os.path.join(CONFIG_DIR, name))
        d.wait_ready()
        d.wait_metric("zcswitch_port_tx_packets_total", count, port=wait_port)
        self.assertEqual(d.stop(), 0, d.stderr())
        return d

    def test_demo(self):
        os.makedirs(f"{self.workdir}/build/demo")
        pcaptool("gen", f"{self.workdir}/build/demo/in.pcap", 1000, "64,128,512,1518")
        d = self.start(os.path.join(CONFIG_DIR, "demo.yaml"))
        d.wait_ready()
        # The endless replay keeps moving; the one-shot replay lands in full.
        d.wait_metric("zcswitch_port_tx_packets_total", 100000, port="sink")
        d.wait_metric("zcswitch_port_tx_packets_total", 1000, port="capture")
        self.assertEqual(d.stop(), 0, d.stderr())
        rc, out = pcaptool("cmp", f"{self.workdir}/build/demo/in.pcap",
                           f"{self.workdir}/build/demo/out.pcap", check=False)
        self.assertEqual(rc, 0, out)
        stats = final_port_stats(d.stdout())
        self.assertGreaterEqual(stats["sink"]["tx-packets"], 100000)

    def test_demo_script_with_guest(self):
        # What `make run` runs, stopped as Ctrl-C stops it: scripts/run-demo.sh
        # starts the virtio-user generator, zcswitchd's client-mode port
        # connects to it, and the guest's frames reach its net_null sink.
        os.makedirs(f"{self.workdir}/build/demo")
        pcaptool("gen", f"{self.workdir}/build/demo/in.pcap", 1000, "64,128,512,1518")
        ctl = f"{self.workdir}/zcswitch.sock"
        env = dict(os.environ, CONFIG=os.path.join(CONFIG_DIR, "demo.yaml"), DURATION="",
                   STATS_PERIOD="2", ZCSWITCHD=ZCSWITCHD)
        with open(f"{self.workdir}/demo.out", "w+") as out, \
                open(f"{self.workdir}/demo.err", "w+") as err:
            script = subprocess.Popen(
                [os.path.join(SOURCE_DIR, "scripts/run-demo.sh"), f"--control_socket={ctl}",
                 "--metrics_address=127.0.0.1:0", "--", f"--file-prefix=zcdemo{os.getpid()}"],
                cwd=self.workdir, env=env, stdout=out, stderr=err, start_new_session=True)
            try:
                deadline = time.time() + 30
                received = 0
                while received == 0 and time.time() < deadline and script.poll() is None:
                    time.sleep(0.2)
                    try:
                        reply = control(ctl, "show", "port", "stats", "guest")
                    except OSError:  # not listening yet
                        continue
                    if reply["ok"]:  # once the ports exist
                        received = reply["data"]["ports"][0]["rx_packets"]
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
        with open(f"{self.workdir}/build/demo/generator.log") as f:
            generator_log = f.read()
        self.assertGreater(received, 0, stderr + generator_log[-2000:])
        self.assertEqual(rc, 0, stderr)
        self.assertIn("port guest (build/demo/guest.sock): front-end connected", stderr)
        stats = final_port_stats(stdout)
        self.assertGreaterEqual(stats["guest"]["rx-packets"], received, stdout)
        self.assertEqual(stats["guest_sink"]["tx-packets"], stats["guest"]["rx-packets"])
        # The EXIT trap stopped the generator, which ignores the SIGINT.
        pid = int(re.search(r"dpdk-testpmd virtio-user, pid (\d+)", stdout).group(1))
        self.assertFalse(os.path.exists(f"/proc/{pid}"), f"generator {pid} still running")

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

    def test_io_null(self):
        d = self.run_example("io-null.yaml", "sink", 1000000)
        stats = final_port_stats(d.stdout())
        self.assertEqual(stats["generator"]["rx-packets"], stats["sink"]["tx-packets"])

    def test_every_example_is_covered(self):
        tested = {"demo.yaml", "io-pcap.yaml", "macswap-pcap.yaml", "io-null.yaml"}
        found = {os.path.basename(p) for p in glob.glob(f"{CONFIG_DIR}/*.yaml")}
        self.assertEqual(found, tested, "add a test for each new example config")


if __name__ == "__main__":
    unittest.main()
