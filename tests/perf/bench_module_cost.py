#!/usr/bin/env python3
"""Per-host cost of a device module: canon_device_info beside ansible.builtin.ping on the same hosts.

Starts the simulator with N devices (default 100) on loopback and runs, in turn and in one run, with
``-f 20``:

* ``ansible.builtin.ping`` (Ansible's floor: a module that does nothing),
* ``canon_device_info -a gather_subset=identity`` with the connection from host variables (the action
  plugin fills ``host``, ``snmp_port`` and ``community``),
* the same with every connection option given as task arguments (the action plugin adds nothing).

Each pair is run several times alternately; the medians and the ratios to ping are printed, in wall
time and in CPU time (user + system of the ansible process tree: the controller, its forks and the
module processes; the simulator's own CPU is not counted). On a shared or loaded machine the CPU
ratio is the steadier figure. Figures only: it never fails on a time.

    python tests/perf/bench_module_cost.py [--devices 100] [--forks 20] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import resource
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


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd, env):
    """(wall seconds, CPU seconds of the command's process tree)."""
    started, cpu = time.monotonic(), children_cpu()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env, timeout=1800)
    wall, cpu = time.monotonic() - started, children_cpu() - cpu
    if proc.returncode != 0:
        raise SystemExit("command failed: %s\n%s\n%s" % (" ".join(cmd), proc.stdout[-2000:], proc.stderr[-2000:]))
    return wall, cpu


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
        floor = statistics.median(w for w, _ in walls["ansible.builtin.ping"])
        cpu_floor = statistics.median(c for _, c in walls["ansible.builtin.ping"])
        print("Per-host module cost: %d simulated hosts, -f %d, %d runs each (alternating), medians; load %s"
              % (args.devices, args.forks, args.runs, " ".join("%.2f" % x for x in os.getloadavg())))
        print("%-32s %8s %12s %8s %12s %8s" % ("command", "wall s", "wall/host ms", "vs ping", "CPU/host ms",
                                               "vs ping"))
        for name, values in walls.items():
            wall = statistics.median(w for w, _ in values)
            cpu = statistics.median(c for _, c in values)
            print("%-32s %8.2f %12.1f %7.2fx %12.1f %7.2fx" % (
                name, wall, 1000.0 * wall / args.devices, wall / floor, 1000.0 * cpu / args.devices, cpu / cpu_floor))
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
