#!/usr/bin/env python3
"""Firmware rollout benchmark: playbooks/firmware_rollout.yml over N simulated iR-ADV devices in batches (figures
only; it never fails on a time).

Steps: start N devices on this helper's loopback range with a short simulated downtime (restart, install, login
application start), build one package for all their serials, run the rollout (canary = first device, then
batches of --batch with --forks), then the no-op re-run (every device current). Prints the wall time, the wall
time per device and per batch beside the simulated downtime each update costs, and the re-run's per-device time.

    python tests/perf/bench_firmware.py [--devices 100] [--batch 20] [--forks 20] [--network 127.166.0.0/24]
"""

from __future__ import annotations

import argparse
import csv
import ipaddress
import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, ".ansible-collections"))

import yaml  # noqa: E402

from tests.integration.simfleet import SimulatedFleet, ansible_playbook  # noqa: E402
from ansible_collections.printfleet.canon.plugins.module_utils.firmware.formats import build_package  # noqa: E402

RESTART_SECONDS = 1.0
INSTALL_SECONDS = 0.3
STARTING_SECONDS = 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--forks", type=int, default=20)
    parser.add_argument("--network", default="127.166.0.0/24")
    parser.add_argument("--port", type=int, default=16580)
    args = parser.parse_args()

    hosts = [str(h) for h in ipaddress.ip_network(args.network).hosts()][:args.devices]
    spec = {"seed": 7, "devices": [
        {"address": a, "profile": "ir-adv-c5535-iii", "restart_seconds": RESTART_SECONDS,
         "remote_ui": {"starting_seconds": STARTING_SECONDS}, "firmware": {"install_seconds": INSTALL_SECONDS}}
        for a in hosts]}
    tmp = tempfile.mkdtemp(prefix="bench-firmware-")
    sim = SimulatedFleet(spec, port=args.port, ready_timeout=180)
    try:
        first = sim.devices[0]
        package = build_package(os.path.join(tmp, "fw.zip"), first["model"], "16.14",
                                serials=[d["serial"] for d in sim.devices])
        inventory = {"all": {"vars": {
            "ansible_connection": "local", "canon_snmp_port": first["snmp_port"],
            "canon_snmp_community": "canon_admin",
            "canon_rui_system_manager_id": first["remote_ui"]["system_manager_id"],
            "canon_rui_system_manager_pin": first["remote_ui"]["system_manager_pin"],
            "canon_rui_ca_path": sim.manifest["ca_cert"]},
            "children": {"printers": {"hosts": {"p%03d" % i: {"ansible_host": d["address"]}
                                                for i, d in enumerate(sim.devices)}},
                         "firmware_canary": {"hosts": {"p000": {}}}}}}
        inv = os.path.join(tmp, "inventory.yml")
        with open(inv, "w", encoding="utf-8") as fh:
            yaml.safe_dump(inventory, fh)
        extra = {"firmware_rollout_version": "16.14", "firmware_rollout_src": package,
                 "firmware_rollout_serve_from": "127.166.255.1", "firmware_rollout_report_dir": tmp,
                 "firmware_rollout_batch": args.batch, "firmware_rollout_wait_timeout": 300}
        env = {"ANSIBLE_FORKS": str(args.forks)}
        playbook = os.path.join(ROOT, "playbooks", "firmware_rollout.yml")
        started = time.monotonic()
        proc = ansible_playbook(playbook, inventory=inv, extra_vars=extra, timeout=3600, env=env)
        rollout = time.monotonic() - started
        with open(os.path.join(tmp, "firmware-rollout.csv"), encoding="utf-8-sig") as fh:
            outcomes = [row["outcome"] for row in csv.DictReader(fh)]
        started = time.monotonic()
        ansible_playbook(playbook, inventory=inv, extra_vars=extra, timeout=3600, env=env)
        rerun = time.monotonic() - started
        n = len(sim.devices)
        batches = 1 + -(-(n - 1) // args.batch)
        downtime = RESTART_SECONDS + INSTALL_SECONDS + STARTING_SECONDS
        print("firmware rollout: %d devices, canary 1 + batches of %d, forks %d (rc %d)"
              % (n, args.batch, args.forks, proc.returncode))
        print("  outcomes: %s" % {k: outcomes.count(k) for k in sorted(set(outcomes))})
        print("  wall %.1f s = %.2f s per device, %.1f s per batch (%d batches)"
              % (rollout, rollout / n, rollout / batches, batches))
        print("  simulated downtime per update: %.1f s (restart %.1f + install %.1f + login app %.1f)"
              % (downtime, RESTART_SECONDS, INSTALL_SECONDS, STARTING_SECONDS))
        print("  per batch, wall above downtime: %.1f s" % (rollout / batches - downtime))
        print("  no-op re-run: wall %.1f s = %.2f s per device" % (rerun, rerun / n))
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
