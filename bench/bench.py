#!/usr/bin/env python3
"""latchwatch benchmark: latchwatch and its peers on the same work in the same run, as ratios.

    bench/bench.py [--build build-bench] [--repeats 5] [--cycles 200]

Builds nothing itself (run.sh does); starts the fabric simulator, a real Alertmanager, a webhook
receiver, prometheus-blackbox-exporter and curl, all on loopback, and prints a Markdown table and
JSON of medians over repeated runs. Only loopback is ever dialled."""
import argparse
import http.server
import json
import os
import platform
import resource
import signal
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request

import file_trigger
import plan_fleet
from loopback import free_port, wait_for



def proc_status(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])  # KiB
    return 0


def proc_rollup(pid, field):
    """KiB of `field` (Pss, Anonymous...) from /proc/PID/smaps_rollup."""
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


class Simulator:
    def __init__(self, build, work, scenario="healthy"):
        self.ports_file = os.path.join(work, "ports.json")
        self.proc = subprocess.Popen(
            [f"{build}/tests/latchwatch-fabric-sim", "--scenario", scenario, "--gpa-dir",
             os.path.join(work, "vm"), "--ports-file", self.ports_file],
            stdout=subprocess.DEVNULL)
        assert wait_for(lambda: os.path.exists(self.ports_file), 10), "simulator did not start"
        self.ports = json.load(open(self.ports_file))
        self.flags = self.ports["check_flags"]

    def scenario(self, name):
        req = urllib.request.Request(f"http://{self.ports['control']}/scenario/{name}", method="POST")
        urllib.request.urlopen(req, timeout=5).read()

    def urls(self):
        p = self.ports
        return [f"http://{p['wireserver']}/secure-channel/status", f"http://{p['wireserver']}/?comp=versions",
                f"http://{p['hostga']}/health",
                f"http://{p['imds']}/metadata/instance?api-version=2021-12-13",
                f"http://{p['gpa']}/provision"]

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


class WebhookReceiver(http.server.BaseHTTPRequestHandler):
    received = 0

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        WebhookReceiver.received += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def timed_runs(argv_list, repeats):
    """Median wall seconds and CPU seconds of running each argv in argv_list in turn."""
    walls, cpus = [], []
    for _ in range(repeats):
        cpu0, t0 = children_cpu(), time.perf_counter()
        for argv in argv_list:
            subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - t0)
        cpus.append(children_cpu() - cpu0)
    return statistics.median(walls), statistics.median(cpus)


def bench_check_vs_curl(binary, sim, work, repeats):
    check = [binary, "check", "--json", "--state-dir", os.path.join(work, "state-check")] + sim.flags
    curl = [["curl", "-s", "-o", "/dev/null", "-H", "Metadata: true", url] for url in sim.urls()]
    check_wall, check_cpu = timed_runs([check], repeats)
    curl_wall, curl_cpu = timed_runs(curl, repeats)
    # Peak RSS of one check.
    p = subprocess.Popen(check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    return {"check_wall_s": check_wall, "check_cpu_s": check_cpu, "check_peak_rss_kib": usage.ru_maxrss,
            "curl_wall_s": curl_wall, "curl_cpu_s": curl_cpu}


def bench_slowest_probe(binary, build, work, repeats):
    sim = Simulator(build, os.path.join(work, "slow"), "slow_imds")
    try:
        walls = []
        for _ in range(repeats):
            out = subprocess.run([binary, "check", "--json", "--state-dir", os.path.join(work, "state-slow")] + sim.flags,
                                 capture_output=True, text=True).stdout
            walls.append(json.loads(out)["cycle_wall_ms"] / 1000)
        return {"slow_cycle_wall_s": statistics.median(walls), "slowest_probe_s": 0.200}
    finally:
        sim.stop()


def start_alertmanager(work):
    port = free_port()
    cfg = os.path.join(work, "am.yml")
    open(cfg, "w").write("route:\n  receiver: none\n  group_wait: 0s\nreceivers:\n  - name: none\n")
    proc = subprocess.Popen(["prometheus-alertmanager", f"--config.file={cfg}",
                             f"--storage.path={work}/am-data", f"--web.listen-address=127.0.0.1:{port}",
                             "--cluster.listen-address="], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def ready():
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=1).status == 200
        except OSError:
            return False
    assert wait_for(ready, 30, 0.1), "alertmanager did not start"
    return proc, port


def alert_active(port, verdict):
    try:
        alerts = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/alerts?active=true", timeout=2))
    except OSError:
        return False
    return any(a["labels"].get("verdict") == verdict for a in alerts)


def bench_daemon(binary, sim, work, cycles, am_port, webhook_port):
    state = os.path.join(work, "state-daemon")
    metrics_port = free_port()
    config = {"daemon": {"interval_ms": 50, "jitter_s": 0, "debounce_cycles": 2},
              "paths": {"state_dir": state},
              "sinks": {"metrics": {"listen": f"127.0.0.1:{metrics_port}", "textfile_dir": work},
                        "alertmanager": {"enabled": True, "url": f"http://127.0.0.1:{am_port}"},
                        "webhook": {"enabled": True, "url": f"http://127.0.0.1:{webhook_port}/hook",
                                    "secret": "bench"}}}
    cfg = os.path.join(work, "daemon.json")
    json.dump(config, open(cfg, "w"))
    t0 = time.perf_counter()
    proc = subprocess.Popen([binary, "run", "--config", cfg] + sim.flags, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    report = os.path.join(state, "report.json")
    assert wait_for(lambda: os.path.exists(report), 10), "daemon produced no report"
    cold_start = time.perf_counter() - t0

    def cycle():
        try:
            return json.load(open(report))["cycle"]
        except (OSError, ValueError, KeyError):
            return 0
    warm = 20
    wait_for(lambda: cycle() >= warm, 60)
    cpu0, c0 = proc_cpu_seconds(proc.pid), cycle()
    rss = []

    def sample():
        rss.append(proc_status(proc.pid, "VmRSS"))
        return cycle() >= warm + cycles
    wait_for(sample, 600, 0.05)
    cpu1, c1 = proc_cpu_seconds(proc.pid), cycle()
    peak = proc_status(proc.pid, "VmHWM")
    # RSS counts shared-library pages in full; PSS shares them out, Anonymous is ours alone.
    pss, anon = proc_rollup(proc.pid, "Pss"), proc_rollup(proc.pid, "Anonymous")
    # Time to detect and tell, at a 1 s interval: restart with interval 1 s.
    proc.send_signal(signal.SIGTERM)
    proc.wait()
    config["daemon"]["interval_ms"] = 1000
    json.dump(config, open(cfg, "w"))
    proc = subprocess.Popen([binary, "run", "--config", cfg] + sim.flags, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_for(lambda: cycle() >= c1 + 2, 30)
    t_loss = time.perf_counter()
    sim.scenario("key_lost")
    detected = wait_for(lambda: alert_active(am_port, "key_lost"), 30, 0.05)
    detect_s = time.perf_counter() - t_loss if detected else None
    sim.scenario("healthy")
    proc.send_signal(signal.SIGTERM)
    proc.wait()
    return {"daemon_steady_rss_kib": statistics.median(rss), "daemon_peak_rss_kib": peak,
            "daemon_pss_kib": pss, "daemon_anon_kib": anon,
            "daemon_cpu_per_cycle_ms": 1000 * (cpu1 - cpu0) / max(1, c1 - c0),
            "cold_start_to_first_report_s": cold_start, "detect_to_alertmanager_s": detect_s,
            "interval_s": 1, "debounce": 2}


def bench_blackbox(sim, work, rounds):
    port = free_port()
    cfg = os.path.join(work, "blackbox.yml")
    open(cfg, "w").write("modules:\n  fabric:\n    prober: http\n    timeout: 2s\n    http:\n"
                         "      method: GET\n      headers:\n        Metadata: 'true'\n"
                         "      preferred_ip_protocol: ip4\n")
    proc = subprocess.Popen(["prometheus-blackbox-exporter", f"--config.file={cfg}",
                             f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def probe(url):
        q = urllib.parse.urlencode({"module": "fabric", "target": url})
        return urllib.request.urlopen(f"http://127.0.0.1:{port}/probe?{q}", timeout=5).read()
    import urllib.parse
    assert wait_for(lambda: _try(lambda: probe(sim.urls()[2])), 30, 0.1), "blackbox exporter did not start"
    for _ in range(20):  # warm-up
        for url in sim.urls():
            probe(url)
    cpu0 = proc_cpu_seconds(proc.pid)
    rss = []
    for _ in range(rounds):
        for url in sim.urls():
            probe(url)
        rss.append(proc_status(proc.pid, "VmRSS"))
    cpu = proc_cpu_seconds(proc.pid) - cpu0
    result = {"blackbox_steady_rss_kib": statistics.median(rss),
              "blackbox_pss_kib": proc_rollup(proc.pid, "Pss"),
              "blackbox_cpu_per_round_ms": 1000 * cpu / rounds}
    proc.terminate()
    proc.wait()
    return result


def _try(fn):
    try:
        fn()
        return True
    except OSError:
        return False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build-bench")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--out", default="bench/RESULTS")
    parser.add_argument("--file-trigger-load-seconds", type=int, default=880,
                        help="window of the fabric-load comparison in the file-trigger scenario")
    parser.add_argument("--skip-file-trigger", action="store_true",
                        help="leave out the file-trigger scenario (about 15 minutes)")
    args = parser.parse_args()
    binary = f"{args.build}/agent/latchwatch"
    work = tempfile.mkdtemp(prefix="latchwatch-bench-")
    stripped = os.path.join(work, "latchwatch.stripped")
    subprocess.run(["strip", "-o", stripped, binary], check=True)
    runs = []
    for _ in range(args.repeats):
        run_dir = tempfile.mkdtemp(dir=work)
        sim = Simulator(args.build, run_dir)
        webhook = http.server.ThreadingHTTPServer(("127.0.0.1", 0), WebhookReceiver)
        threading.Thread(target=webhook.serve_forever, daemon=True).start()
        am, am_port = start_alertmanager(run_dir)
        try:
            r = {}
            r.update(bench_check_vs_curl(binary, sim, run_dir, 10))
            r.update(bench_slowest_probe(binary, args.build, run_dir, 5))
            r.update(bench_daemon(binary, sim, run_dir, args.cycles, am_port, webhook.server_address[1]))
            r.update(bench_blackbox(sim, run_dir, 50))
            runs.append(r)
        finally:
            am.terminate()
            am.wait()
            webhook.shutdown()
            sim.stop()
    keys = runs[0].keys()
    med = {k: statistics.median([r[k] for r in runs if r[k] is not None]) for k in keys}
    med["binary_stripped_bytes"] = os.path.getsize(stripped)
    med.update(plan_fleet.bench_plans(binary, tempfile.mkdtemp(dir=work)))
    med["steady_rss_ratio_vs_blackbox"] = med["daemon_steady_rss_kib"] / med["blackbox_steady_rss_kib"]
    med["check_wall_ratio_vs_curl"] = med["check_wall_s"] / med["curl_wall_s"]
    med["cycle_wall_ratio_vs_slowest_probe"] = med["slow_cycle_wall_s"] / med["slowest_probe_s"]
    targets = {
        "steady RSS <= 5 MiB": med["daemon_steady_rss_kib"] <= 5 * 1024,
        "steady RSS <= 1/3 blackbox": med["steady_rss_ratio_vs_blackbox"] <= 1 / 3,
        "CPU per cycle <= 2 ms": med["daemon_cpu_per_cycle_ms"] <= 2,
        "cycle wall <= 1.1 x slowest probe": med["cycle_wall_ratio_vs_slowest_probe"] <= 1.1,
        "detect <= interval x (debounce + 1) + 1 s": med["detect_to_alertmanager_s"] <= 1 * 3 + 1,
        "check wall <= 0.5 x curl": med["check_wall_ratio_vs_curl"] <= 0.5,
        "plan resets, 10,000 reports < 1 s": max(med["plan_resets_10k_reports_wall_s"],
                                                 med["plan_resets_10k_files_wall_s"]) < 1,
        "plan cmk-rotation, 10,000 VMs < 1 s": med["plan_cmk_10k_vms_wall_s"] < 1,
    }
    machine = {"host": platform.node(), "kernel": platform.release(), "cpus": os.cpu_count(),
               "latchwatch": subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip(),
               "repeats": args.repeats, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    doc = {"machine": machine, "medians": med, "targets": targets, "runs": runs}
    trigger_section = ""
    if not args.skip_file_trigger:
        r = file_trigger.bench_file_trigger(binary, args.build, tempfile.mkdtemp(dir=work),
                                            args.file_trigger_load_seconds)
        doc["file_trigger"] = {"date": machine["date"], "results": r, "targets": file_trigger.targets(r)}
        trigger_section = "\n" + file_trigger.markdown(r, machine["date"], args.build)
    json.dump(doc, open(args.out + ".json", "w"), indent=2)
    lines = [f"# latchwatch benchmark ({machine['date']})", "",
             f"Machine: {machine['cpus']} CPUs, kernel {machine['kernel']}; {machine['latchwatch']}; "
             f"medians of {args.repeats} runs. Peers on the same five loopback endpoints in the same run.", "",
             "| measure | value |", "|---|---|"]
    for k, v in med.items():
        lines.append(f"| {k} | {v:.4g} |" if isinstance(v, float) else f"| {k} | {v} |")
    lines += ["", "| target | met |", "|---|---|"] + [f"| {k} | {'yes' if v else 'no'} |" for k, v in targets.items()]
    open(args.out + ".md", "w").write("\n".join(lines) + "\n" + trigger_section)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
