"""Memory of `latchwatch plan resets --json` on large inputs (issue 26): a 50 MB boot log
(console noise with a latchwatch line every 2,000 lines), a 50 MB report history (JSON lines)
and the same reports as one 50 MB JSON array. Run once per input; peak RSS from the kernel's
rusage (what /usr/bin/time -v prints as "Maximum resident set size") and the largest Pss and
Anonymous seen in /proc/PID/smaps_rollup, sampled every 2 ms while the plan runs.

    python3 bench/plan_memory.py BINARY [BINARY_BEFORE]
"""
import copy
import json
import os
import subprocess
import sys
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
SUB = "6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f"
SIZE = 50 * 10**6


def serial_line(at, name, vm="aaaaaaaa-0000-4000-8000-00000000000a"):
    body = f"latchwatch: v1 fired key_lost {at} inc=4>5 vm={vm} id={SUB}/rg-web/{name}"
    return f"{body} crc={zlib.crc32(body.encode()):08x}\r\n"


def write_boot_log(path):
    noise = "".join(f"[   12.{i:06d}] systemd[1]: Started Session {i} of user azureuser.\r\n"
                    for i in range(2000))
    with open(path, "w", newline="") as out:
        written, n = 0, 0
        while written < SIZE:
            chunk = noise + serial_line(f"2026-12-01T03:{n % 60:02d}:00.000Z", "vm-bench")
            out.write(chunk)
            written += len(chunk)
            n += 1


def write_reports(jsonl, array):
    with open(os.path.join(HERE, "report-template.json")) as f:
        template = json.load(f)
    rid = template["identity"]["resource_id"]
    with open(jsonl, "w") as lines, open(array, "w") as arr:
        arr.write("[")
        written, i = 0, 0
        while written < SIZE:
            r = copy.deepcopy(template)
            new_rid = rid.replace("vm-latch-01", f"vm-{i % 5000:05d}")
            r["identity"]["resource_id"] = new_rid
            r["remedy"]["resource_id"] = new_rid
            text = json.dumps(r)
            lines.write(text + "\n")
            arr.write(("," if i else "") + text)
            written += len(text) + 1
            i += 1
        arr.write("]")


def run(binary, path, boot_log):
    argv = [binary, "plan", "resets", "--json"] + (["--boot-logs", path] if boot_log else [path])
    # Peak RSS of the child alone: a fresh process per run, read through wait4's rusage.
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = {"Pss": 0, "Anonymous": 0}
    rollup = f"/proc/{proc.pid}/smaps_rollup"
    while True:
        try:
            with open(rollup) as f:
                for line in f:
                    key, _, rest = line.partition(":")
                    if key in peak:
                        peak[key] = max(peak[key], int(rest.split()[0]))
        except (OSError, ValueError, IndexError):
            pass
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        time.sleep(0.002)
    wall = time.perf_counter() - start
    return {"exit": os.waitstatus_to_exitcode(status), "max_rss_kib": usage.ru_maxrss,
            "peak_pss_kib": peak["Pss"], "peak_anon_kib": peak["Anonymous"],
            "wall_s": round(wall, 2)}


def main():
    binaries = sys.argv[1:]
    work = tempfile.mkdtemp(prefix="latchwatch-planmem-")
    log = os.path.join(work, "vm-bench.log")
    jsonl, array = os.path.join(work, "history.jsonl"), os.path.join(work, "fleet.json")
    write_boot_log(log)
    write_reports(jsonl, array)
    results = {}
    for binary in binaries:
        for label, path, boot in (("boot_log", log, True), ("jsonl", jsonl, False),
                                  ("array", array, False)):
            r = run(binary, path, boot)
            r["input_mb"] = round(os.path.getsize(path) / 1e6, 1)
            r["rss_per_input_byte"] = round(r["max_rss_kib"] * 1024 / os.path.getsize(path), 2)
            results[f"{binary}:{label}"] = r
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
