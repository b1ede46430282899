#!/usr/bin/env python3
"""Settings audit benchmark: canon_device_settings state=audited on N simulated devices against one baseline,
beside canon_device_info over the same hosts (figures only; it never fails on a time).

Steps: start N simulated iR-ADV DX devices (classic Remote UI, HTTPS with the simulator's CA) on this helper's
loopback range, export the golden device once, then run two playbooks over the same inventory with the same
forks -- the audit (Remote UI login, info page, export of the baseline's categories, decode, compare, logout)
and canon_device_info (SNMP identity + status) -- and print wall time and time per device of each, plus the
module's own per-phase times (median over hosts) from the audit results.

    python tests/perf/bench_settings_audit.py [--devices 200] [--forks 10] [--network 127.158.0.0/24]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

import yaml  # noqa: E402

from tests.integration.simfleet import SimulatedFleet, ansible_module, ansible_playbook  # noqa: E402

PASSWORD = "bench-Pw-1"
PIN = "7654321"

AUDIT = """
- hosts: all
  gather_facts: false
  tasks:
    - printfleet.canon.canon_device_settings:
        state: audited
        baseline: "{{ baseline }}"
        encryption_password: "{{ password }}"
      register: audit
    - ansible.builtin.copy:
        content: "{{ {'differences': audit.differences | length, 'not_comparable': audit.not_comparable,
                      'timings': audit.timings} | to_json }}"
        dest: "{{ out }}/{{ inventory_hostname }}.json"
        mode: "0600"
"""
INFO = """
- hosts: all
  gather_facts: false
  tasks:
    - printfleet.canon.canon_device_info:
        gather_subset: [identity, status]
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--forks", type=int, default=10)
    parser.add_argument("--network", default="127.158.0.0/24")
    args = parser.parse_args()
    if not args.network.startswith("127."):
        raise SystemExit("loopback only")
    sim = SimulatedFleet({"seed": 2, "devices": [{"network": args.network, "count": args.devices,
                                                  "profile": "ir-adv-dx-c5840"}]}, port=16158, ready_timeout=180)
    tmp = tempfile.mkdtemp(prefix="bench-settings-")
    try:
        addresses = [d["address"] for d in sim.devices]
        golden = os.path.join(tmp, "golden.xml")
        conn = {"system_manager_id": PIN, "system_manager_pin": PIN, "ca_path": sim.manifest["ca_cert"],
                "snmp_port": sim.port, "community": "canon_admin"}
        started = time.monotonic()
        result = ansible_module("printfleet.canon.canon_device_settings", dict(
            conn, host=addresses[0], state="exported", categories=["basic", "box", "forwarding"],
            encryption_password=PASSWORD, dest=golden))
        assert result.get("changed"), result
        export_wall = time.monotonic() - started
        inventory = {"all": {"vars": {
            "ansible_connection": "local", "baseline": golden, "password": PASSWORD, "out": tmp,
            "canon_snmp_port": sim.port, "canon_snmp_community": "canon_admin",
            "canon_rui_ca_path": sim.manifest["ca_cert"], "canon_rui_system_manager_id": PIN,
            "canon_rui_system_manager_pin": PIN},
            "hosts": {"d%03d" % i: {"ansible_host": a} for i, a in enumerate(addresses)}}}
        inv = os.path.join(tmp, "inventory.yml")
        with open(inv, "w") as fh:
            yaml.safe_dump(inventory, fh)
        figures = {}
        for name, text in (("audit", AUDIT), ("device_info", INFO)):
            path = os.path.join(tmp, name + ".yml")
            with open(path, "w") as fh:
                fh.write(text)
            started = time.monotonic()
            proc = ansible_playbook(path, inventory=inv, timeout=3600, env={"ANSIBLE_FORKS": str(args.forks)})
            wall = time.monotonic() - started
            failed = proc.stdout.count("failed=") - proc.stdout.count("failed=0")
            figures[name] = (wall, failed)
        timings = []
        drift = 0
        for i in range(len(addresses)):
            with open(os.path.join(tmp, "d%03d.json" % i)) as fh:
                data = json.load(fh)
            timings.append(data["timings"])
            drift += data["differences"]
        print("devices: %d, forks: %d, golden export: %.2f s" % (len(addresses), args.forks, export_wall))
        for name, (wall, failed) in figures.items():
            per_device = wall / len(addresses)
            print("%-12s wall %7.2f s  per device %6.3f s  hosts failed %d" % (name, wall, per_device, failed))
        print("audit: devices with drift items %d (expected 0: same model, factory values)" % drift)
        phases = sorted({k for t in timings for k in t})
        print("audit module phases, median s per device: " + ", ".join(
            "%s %.3f" % (p, statistics.median(t.get(p, 0.0) for t in timings)) for p in phases))
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
