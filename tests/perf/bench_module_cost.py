#!/usr/bin/env python3
"""Per-host cost of a device module: canon_device_info beside ansible.builtin.ping on the same hosts.

Starts the simulator with N devices (default 100) on loopback and runs, in turn and in one run, with
``-f 20``:

* ``ansible.builtin.ping`` (Ansible's floor: a module that does nothing),
* ``canon_device_info -a gather_subset=identity`` with the connection from host variables (the action
  plugin fills ``host``, ``snmp_port`` and ``community``),
* the same with every connection option given as task arguments (the action plugin adds nothing).

Each pair is run several times alternately; the medians and the ratios to ping are printed. Figures
only: it never fails on a time.

    python tests/perf/bench_module_cost.py [--devices 100] [--forks 20] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from tests.integration.simfleet import SimulatedFleet, ansible_env, bin_path  # noqa: E402

NETWORK = "127.183"


def timed(cmd, env):
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env, timeout=1800)
    wall = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit("command failed: %s\n%s\n%s" % (" ".join(cmd), proc.stdout[-2000:], proc.stderr[-2000:]))
    return wall


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--forks", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    addresses = ["%s.%d.%d" % (NETWORK, 1 + i // 250, 1 + i % 250) for i in range(args.devices)]
    sim = SimulatedFleet({"seed": 1, "devices": [{"address": a, "profile": "ir-adv-c5535-iii"} for a in addresses]})
    try:
        port = sim.devices[0]["snmp_port"]
        tmp = tempfile.mkdtemp(prefix="bench-module-cost-")
        inventory = os.path.join(tmp, "inventory.yml")
        hosts = {"p%03d" % i: {"ansible_host": a} for i, a in enumerate(addresses)}
        with open(inventory, "w", encoding="utf-8") as handle:
            yaml.safe_dump({"printers": {"hosts": hosts, "vars": {
                "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                "canon_snmp_port": port, "canon_snmp_community": "public"}}}, handle)
        base = [bin_path("ansible"), "-i", inventory, "printers", "-f", str(args.forks)]
        commands = {
            "ansible.builtin.ping": base + ["-m", "ansible.builtin.ping"],
            "canon_device_info (host vars)": base + ["-m", "printfleet.canon.canon_device_info",
                                                     "-a", "gather_subset=identity"],
            "canon_device_info (task args)": base + [
                "-m", "printfleet.canon.canon_device_info",
                "-a", "host={{ ansible_host }} snmp_port=%d community=public gather_subset=identity" % port],
        }
        env = ansible_env()
        timed(commands["ansible.builtin.ping"], env)          # warm-up: caches, page cache, simulator
        walls = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, cmd in commands.items():
                walls[name].append(timed(cmd, env))
        floor = statistics.median(walls["ansible.builtin.ping"])
        print("Per-host module cost: %d simulated hosts, -f %d, %d runs each (alternating), median wall"
              % (args.devices, args.forks, args.runs))
        print("%-32s %10s %12s %10s" % ("command", "median s", "per host ms", "vs ping"))
        for name, values in walls.items():
            median = statistics.median(values)
            print("%-32s %10.2f %12.1f %9.2fx" % (name, median, 1000.0 * median / args.devices, median / floor))
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
