#!/usr/bin/env python3
"""Issue 22: time from key loss to the CloudEvent at a receiver and to the blob in Azurite.

    bench/azure_channels.py [--build build-bench] [--repeats 3] [--defaults]

Default sink settings (timeouts, spool, retries). Without --defaults the daemon runs at a 1 s
interval, debounce 2 (as bench.py's detect_to_alertmanager_s), and the loss is the simulator's
scenario switch; with --defaults every daemon setting is the shipped default (interval 300 s, jitter,
debounce 2, the file trigger on) and the loss is the key file deleted from the VM's key folder (the
simulator's key_lost scenario does both), 20 s after the start-up cycle, as bench/file_trigger.py.
Needs `npm ci` in tests/support/node. Loopback only."""
import argparse
import http.server
import json
import os
import signal
import statistics
import subprocess
import tempfile
import threading
import time

from bench import Simulator
from loopback import free_port, wait_for

NODE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "support", "node")


class CloudEventReceiver(http.server.BaseHTTPRequestHandler):
    fired_at = None

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Type", "").startswith("application/cloudevents+json"):
            event = json.loads(body)
            if event.get("type") == "com.latchwatch.verdict.fired" and CloudEventReceiver.fired_at is None:
                CloudEventReceiver.fired_at = time.perf_counter()
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def blob_names(port):
    out = subprocess.run(["node", os.path.join(NODE, "blob_tool.js"), "download", str(port), "reports",
                          tempfile.mkdtemp()], capture_output=True, text=True)
    return json.loads(out.stdout) if out.returncode == 0 else []


def one_run(binary, build, work, defaults=False):
    sim = Simulator(build, work)
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), CloudEventReceiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    CloudEventReceiver.fired_at = None
    az_port = free_port()
    azurite = subprocess.Popen(["node", os.path.join(NODE, "node_modules/azurite/dist/src/blob/main.js"),
                                "--blobHost", "127.0.0.1", "--blobPort", str(az_port), "--location",
                                os.path.join(work, "azurite"), "--silent", "--skipApiVersionCheck"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        sas = None
        def make_sas():
            nonlocal sas
            r = subprocess.run(["node", os.path.join(NODE, "blob_tool.js"), "sas", str(az_port), "reports"],
                               capture_output=True, text=True)
            sas = r.stdout.strip() if r.returncode == 0 else None
            return sas
        assert wait_for(make_sas, 30, 0.2), "azurite did not start"
        sas_file = os.path.join(work, "sas.url")
        open(sas_file, "w").write(sas + "\n")
        os.chmod(sas_file, 0o600)
        state = os.path.join(work, "state")
        config = {"paths": {"state_dir": state},
                  "sinks": {"metrics": {"enabled": False},
                            "webhook": {"enabled": True, "format": "cloudevents", "secret": "bench",
                                        "url": f"http://127.0.0.1:{receiver.server_address[1]}/api/events"},
                            "blob": {"enabled": True, "url_file": sas_file}}}
        if not defaults:
            config["daemon"] = {"interval_s": 1, "jitter_s": 0, "debounce_cycles": 2}
        cfg = os.path.join(work, "daemon.json")
        json.dump(config, open(cfg, "w"))
        proc = subprocess.Popen([binary, "run", "--config", cfg] + sim.flags,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        report = os.path.join(state, "report.json")
        assert wait_for(lambda: os.path.exists(report), 10), "daemon produced no report"
        # A few healthy cycles first; at the defaults, past the start-up cycle's quiet window
        # (benchmark pacing, not synchronisation).
        time.sleep(20 if defaults else 2.5)
        t_loss = time.perf_counter()
        sim.scenario("key_lost")
        blob_at = None
        def blob_there():
            nonlocal blob_at
            if any(n.startswith("reports/") for n in blob_names(az_port)):
                blob_at = time.perf_counter()
                return True
            return False
        limit = 400 if defaults else 30
        wait_for(lambda: CloudEventReceiver.fired_at is not None, limit, 0.01)
        wait_for(blob_there, limit, 0.05)
        proc.send_signal(signal.SIGTERM)
        proc.wait()
        return {"key_loss_to_cloudevent_s": CloudEventReceiver.fired_at - t_loss if CloudEventReceiver.fired_at else None,
                "key_loss_to_blob_s": blob_at - t_loss if blob_at else None}
    finally:
        azurite.terminate()
        azurite.wait()
        receiver.shutdown()
        sim.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build-bench")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--defaults", action="store_true",
                        help="every daemon setting at its default; the key file deleted")
    args = parser.parse_args()
    binary = f"{args.build}/agent/latchwatch"
    runs = [one_run(binary, args.build, tempfile.mkdtemp(prefix="latchwatch-bench-az-"), args.defaults)
            for _ in range(args.repeats)]
    med = {k: statistics.median([r[k] for r in runs if r[k] is not None]) for k in runs[0]}
    print(json.dumps({"runs": runs, "median": med}, indent=2))


if __name__ == "__main__":
    main()
