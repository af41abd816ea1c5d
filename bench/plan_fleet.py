"""A 10,000-VM fleet for `latchwatch plan`: az exports cloned from the test fixtures and
10,000 reports cloned from a real `check --json` output, then the plans timed end to end."""
import copy
import json
import os
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "tests", "fixtures", "plan")


def _load(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return json.load(f)


def _rename(obj, old, new):
    return json.loads(json.dumps(obj).replace(old, new))


def write_fleet(work, count=10000):
    """az vm list -d, az disk list and one DES with `count` VMs; `count` reports."""
    vms, disks = _load("vms.json"), _load("disks.json")
    des = _load("des-cvm-a.json")
    template_vm = next(v for v in vms if v["name"] == "cvm-run-1")
    template_disk = next(d for d in disks if d["name"] == "cvm-run-1_OsDisk_1")
    template_instance = _load("vmss-cvm-pool.json")[0]
    template_pool_disk = next(d for d in disks if d.get("managedBy", "").endswith("/virtualMachines/0")
                              and "virtualMachineScaleSets" in d["managedBy"])
    fleet_vms, fleet_disks, fleet_instances = [], [], []
    for i in range(count):
        name = f"cvm-{i:05d}"
        vm = _rename(template_vm, "cvm-run-1", name)
        vm["powerState"] = ["VM running", "VM stopped", "VM deallocated"][i % 3]
        fleet_vms.append(vm)
        fleet_disks.append(_rename(template_disk, "cvm-run-1", name))
    # A tenth as many Uniform scale-set instances (az vmss list-instances --expand instanceView),
    # which az vm list -d leaves out, with their disks.
    pool_disk_name = template_pool_disk["name"]
    for n in range(count // 10):
        inst = json.loads(json.dumps(template_instance)
                          .replace("/virtualMachines/0", f"/virtualMachines/{n}")
                          .replace(pool_disk_name, f"cvm-pool_cvm-pool_{n}_OsDisk_1"))
        inst["instanceId"] = str(n)
        inst["name"] = f"cvm-pool_{n}"
        fleet_instances.append(inst)
        disk = json.loads(json.dumps(template_pool_disk)
                          .replace("/virtualMachines/0", f"/virtualMachines/{n}")
                          .replace(pool_disk_name, f"cvm-pool_cvm-pool_{n}_OsDisk_1"))
        fleet_disks.append(disk)
    associated = [d["id"] for d in fleet_disks]
    with open(os.path.join(HERE, "report-template.json")) as f:
        report = json.load(f)
    rid = report["identity"]["resource_id"]
    os.makedirs(os.path.join(work, "reports"), exist_ok=True)
    os.makedirs(os.path.join(work, "folder"), exist_ok=True)
    with open(os.path.join(work, "reports", "fleet.jsonl"), "w") as out:
        for i in range(count):
            r = copy.deepcopy(report)
            new_rid = rid.replace("vm-latch-01", f"vm-{i % (count // 2):05d}")
            r["identity"]["resource_id"] = new_rid
            r["remedy"]["resource_id"] = new_rid
            r["generated_at"] = f"2026-11-2{i % 3}T10:00:00Z"
            r["remedy"]["current_incarnation"] = i % 7
            out.write(json.dumps(r) + "\n")
            with open(os.path.join(work, "folder", f"report-{i:05d}.json"), "w") as one:
                json.dump(r, one, indent=2)
    for name, doc in (("vms.json", fleet_vms), ("disks.json", fleet_disks), ("des.json", des),
                      ("vmss.json", fleet_instances), ("associated.json", associated)):
        with open(os.path.join(work, name), "w") as f:
            json.dump(doc, f, indent=2)


def _timed(argv, repeats):
    walls = []
    for _ in range(repeats):
        start = time.perf_counter()
        done = subprocess.run(argv, capture_output=True)
        walls.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):
            raise RuntimeError(f"{argv} exited {done.returncode}: {done.stderr[:400]}")
    return sorted(walls)[len(walls) // 2]


def bench_plans(binary, work, repeats=3):
    write_fleet(work)
    sizes = {n: os.path.getsize(os.path.join(work, n))
             for n in ("vms.json", "disks.json", "vmss.json")}
    return {
        "plan_resets_10k_reports_wall_s": _timed(
            [binary, "plan", "resets", "--json", os.path.join(work, "reports")], repeats),
        "plan_resets_10k_files_wall_s": _timed(
            [binary, "plan", "resets", "--json", os.path.join(work, "folder")], repeats),
        "plan_cmk_10k_vms_wall_s": _timed(
            [binary, "plan", "cmk-rotation", "--json", "--vms", os.path.join(work, "vms.json"),
             "--disks", os.path.join(work, "disks.json"), "--des", os.path.join(work, "des.json"),
             "--vmss", os.path.join(work, "vmss.json"),
             "--associated", os.path.join(work, "associated.json")],
            repeats),
        "plan_input_mib": round(sum(sizes.values()) / 2**20, 1),
    }


if __name__ == "__main__":
    import sys
    import tempfile
    print(json.dumps(bench_plans(sys.argv[1], tempfile.mkdtemp(prefix="latchwatch-plan-")), indent=2))
