#!/usr/bin/env python3
"""MEAP rollout benchmark: playbooks/deploy_meap_app.yml over N simulated devices (2 failing), then the no-op
re-run, beside canon_device_info over the same hosts (figures only; it never fails on a time).

Steps: start N iR-ADV devices (SMS over HTTPS with the simulator's CA) on this helper's loopback range, one of
them AddOn-platform and one with an injected install failure (once); write one license per serial; run the
rollout (plan in check mode, then canary and batches of --batch, max_fail_percentage --max-fail) with the
application report; run it a second time (the device whose install failed is installed now); run it a third
time, the no-op re-run (every device that can hold the app holds it: the plan reads each device, no batch
runs, no SMS write); run canon_device_info (identity + status) over the same inventory. Prints wall and CPU
time, per-device time and the re-run / device_info ratios.

    python tests/perf/bench_meap.py [--devices 50] [--forks 10] [--batch 10] [--network 127.154.0.0/24]
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

import yaml  # noqa: E402

from tests.integration.simfleet import SimulatedFleet, ansible_playbook  # noqa: E402
from tests.meap_files import APP_ID, make_jar, make_license  # noqa: E402

PASSWORD = "BenchSms2026"
INFO = """
- hosts: all
  gather_facts: false
  connection: local
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - printfleet.canon.canon_device_info:
        gather_subset: [identity, status]
"""

# The module alone over the same hosts, no batches, no report (what the per-device cost of a no-op is).
MODULE_ONLY = """
- hosts: all
  gather_facts: false
  connection: local
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - printfleet.canon.canon_meap_app:
        src: JAR
        state: started
      ignore_errors: true
"""


def children_cpu() -> float:
    """CPU seconds (user + system) of finished child processes: ansible-playbook and its workers and modules
    (the simulator is still running, so its CPU is not in it). Steadier than wall time on a shared machine."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--forks", type=int, default=10)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--max-fail", type=int, default=25)
    parser.add_argument("--network", default="127.154.0.0/24")
    args = parser.parse_args()
    if not args.network.startswith("127.154."):
        raise SystemExit("this helper's loopback range is 127.150-154")
    n = args.devices
    failing = (n // 2, n // 2 + 1)
    prefix = args.network.rsplit(".", 1)[0]
    devices = []
    for i in range(1, n + 1):
        sms = {"password": PASSWORD}
        if i == failing[0]:
            sms["platform"] = "addon"
        devices.append({"address": "%s.%d" % (prefix, i), "profile": "ir-adv-c5535-iii", "sms": sms})
    sim = SimulatedFleet({"seed": 5, "devices": devices}, port=16154, ready_timeout=180)
    tmp = tempfile.mkdtemp(prefix="bench-meap-")
    try:
        sim.control("POST", "/devices/%s.%d/sms" % (prefix, failing[1]), {"inject": "disk_full"})
        lic_dir = os.path.join(tmp, "licenses")
        for d in sim.devices:
            make_license(os.path.join(lic_dir, d["serial"] + ".lic"), APP_ID, d["serial"])
        jar = make_jar(os.path.join(tmp, "app.jar"), version="4.0.0")
        hosts = {"p%03d" % i: {"ansible_host": d["address"]} for i, d in enumerate(sim.devices, start=1)}
        inventory = os.path.join(tmp, "inventory.yml")
        with open(inventory, "w") as fh:
            yaml.safe_dump({"all": {"vars": {"canon_sms_password": PASSWORD,
                                             "canon_rui_ca_path": sim.manifest["ca_cert"],
                                             "canon_snmp_port": sim.port},
                                    "hosts": hosts}}, fh)
        reports = os.path.join(tmp, "reports")
        extra = {"meap_batch_size": args.batch, "meap_max_fail_percentage": args.max_fail,
                 "meap_deployment_src": jar, "meap_deployment_license_dir": lic_dir,
                 "meap_deployment_report_dir": reports}
        env = {"ANSIBLE_FORKS": str(args.forks)}
        figures = []
        cpus = {}
        for label in ("rollout", "second run", "no-op re-run"):
            started, cpu = time.monotonic(), children_cpu()
            proc = ansible_playbook("playbooks/deploy_meap_app.yml", inventory=inventory, extra_vars=extra,
                                    timeout=3600, env=env)
            wall = time.monotonic() - started
            cpus[label] = children_cpu() - cpu
            with open(os.path.join(reports, "meap-applications-summary.csv"), encoding="utf-8-sig") as fh:
                rows = [r for r in csv.DictReader(fh) if r["host"] != "TOTAL"]
            counts = {}
            for row in rows:
                counts[row["outcome"]] = counts.get(row["outcome"], 0) + 1
            figures.append((label, wall))
            print("%-14s rc=%d wall %.1fs  %.2fs/device  CPU %.1fs  outcomes %s" % (
                label, proc.returncode, wall, wall / n, cpus[label], counts))
        plays = {"device_info": INFO, "module no-op": MODULE_ONLY.replace("JAR", jar)}
        walls = {}
        for label, text in plays.items():
            play = os.path.join(tmp, label.replace(" ", "_") + ".yml")
            with open(play, "w") as fh:
                fh.write(text)
            started, cpu = time.monotonic(), children_cpu()
            proc = ansible_playbook(play, inventory=inventory, timeout=3600, env=env)
            walls[label] = time.monotonic() - started
            cpus[label] = children_cpu() - cpu
            print("%-14s rc=%d wall %.1fs  %.2fs/device  CPU %.1fs" % (
                label, proc.returncode, walls[label], walls[label] / n, cpus[label]))
        info_wall = walls["device_info"]
        print("load average %s" % " ".join("%.2f" % x for x in os.getloadavg()))
        print("module no-op (one task, no batches) / canon_device_info = %.2f wall, %.2f CPU" % (
            walls["module no-op"] / info_wall, cpus["module no-op"] / cpus["device_info"]))
        writes = sum(sim.control("GET", "/devices/%s/sms" % d["address"])["counters"]["writes"] for d in sim.devices)
        print("SMS writes in all: %d" % writes)
        for label, wall in figures[1:]:
            print("%s / canon_device_info = %.2f wall, %.2f CPU" % (
                label, wall / info_wall, cpus[label] / cpus["device_info"]))
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
