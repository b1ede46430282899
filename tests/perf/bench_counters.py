#!/usr/bin/env python3
"""Counter capture benchmark: 1,000 simulated Canon devices (every counter table layout).

Prints, side by side (figures only; it never fails on a time):

* the bulk capture through Ansible: ``ansible localhost -m printfleet.canon.canon_counters`` with
  ``targets`` = every device and a SQLite store (the nightly AWX task), and without a store;
* the same capture through the module_utils API (counters.capture_fleet) in this process, SNMPv1
  for all, and SNMPv2c (GETBULK) where the device answers it;
* one canon_counters module run per host (ansible-playbook, forks 20) on a subset, extrapolated to
  the whole fleet and labelled so;
* braa (Debian package), a C mass-SNMP scanner, fetching the same objects (walk of
  1.3.6.1.4.1.1602.1.11, GET of the identity objects and prtMarkerLifeCount);
* the counter store's insert rate (SQLite; PostgreSQL with --pg-dsn).

Every device's counters are checked against the simulator's manifest. Loopback only.

    python tests/perf/bench_counters.py [--devices 1000] [--network 127.211.0.0/16] [--subset 100]
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, ".ansible-collections"))

from ansible_collections.printfleet.canon.plugins.module_utils.counters import capture as counters  # noqa: E402
from ansible_collections.printfleet.canon.plugins.module_utils.counters.store import CounterStore  # noqa: E402
from ansible_collections.printfleet.canon.plugins.module_utils.transport.snmp import SnmpCredentials, SnmpTarget  # noqa: E402
from tests.integration.simfleet import SimulatedFleet, ansible_env, ansible_module, bin_path  # noqa: E402

CANON_MIX = ["ir-adv-c5535-iii", "ir-adv-dx-c5840", "mf642c", "lbp6670"]
MODULE = "printfleet.canon.canon_counters"


def fleet_spec(network: str, devices: int) -> Dict[str, Any]:
    net = ipaddress.ip_network(network)
    step = max(1, (net.num_addresses - 2) // devices)
    addresses = [str(net.network_address + 1 + i * step) for i in range(devices)]
    return {"seed": 7, "devices": [{"address": a, "profile": CANON_MIX[i % len(CANON_MIX)]}
                                   for i, a in enumerate(addresses)]}


def exact(results: List[Dict[str, Any]], manifest: Dict[str, Dict[str, Any]]) -> int:
    """Devices whose every Canon counter equals the simulator's value (and that have counters)."""
    good = 0
    for r in results:
        if r.get("failed"):
            continue
        expected = manifest[r["address"]]["counters"]
        canon = [c for c in r["counters"] if isinstance(c["id"], int)]
        if canon and all(expected.get(str(c["id"])) == c["value"] for c in canon) and \
                r["serial"] == manifest[r["address"]]["serial"]:
            good += 1
    return good


def exact_in_store(path: str, manifest: Dict[str, Dict[str, Any]]) -> int:
    """Devices whose stored Canon readings all equal the simulator's values."""
    by_serial = {d["serial"]: d for d in manifest.values()}
    with CounterStore(path=path, create=False) as store:
        readings = store.latest_readings()
    found: Dict[str, bool] = {}
    for r in readings:
        if isinstance(r.counter_id, int):
            expected = by_serial.get(r.serial, {}).get("counters", {}).get(str(r.counter_id))
            found[r.serial] = found.get(r.serial, True) and expected == r.value
    return sum(found.values())


def timed(cmd: List[str], env: Dict[str, str], timeout: float = 1800) -> tuple:
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env, timeout=timeout)
    return time.monotonic() - started, proc


def cpu_of_children() -> float:
    usage = os.times()
    return usage.children_user + usage.children_system


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devices", type=int, default=1000)
    ap.add_argument("--network", default="127.211.0.0/16")
    ap.add_argument("--subset", type=int, default=100, help="devices for the per-host module runs")
    ap.add_argument("--forks", type=int, default=20)
    ap.add_argument("--concurrency", type=int, default=100)
    ap.add_argument("--pg-dsn", help="also measure the store's insert rate on this PostgreSQL database")
    ap.add_argument("--skip-peers", action="store_true", help="skip the per-host runs and braa")
    args = ap.parse_args()

    spec = fleet_spec(args.network, args.devices)
    print("starting simulator: %d devices (%s) over %s ..." % (args.devices, ", ".join(CANON_MIX), args.network),
          flush=True)
    t0 = time.monotonic()
    sim = SimulatedFleet(spec, extra_args=["--no-http"], ready_timeout=600)
    print("simulator ready in %.1fs" % (time.monotonic() - t0), flush=True)
    manifest = {d["address"]: d for d in sim.devices}
    tmp = tempfile.mkdtemp(prefix="bench-counters-")
    rows = []
    notes = []
    try:
        addresses = [d["address"] for d in sim.devices]
        base = {"snmp_port": sim.port, "timeout": 2, "retries": 1, "concurrency": args.concurrency}

        # 1. through Ansible, one bulk task -------------------------------------------------------------
        for label, extra in (("ansible -m canon_counters, bulk, SQLite store, all readings returned",
                              {"store": {"path": os.path.join(tmp, "bulk.sqlite")}}),
                             ("ansible -m canon_counters, bulk, no store, all readings returned", {}),
                             ("ansible -m canon_counters, bulk, SQLite store, return_counters=false",
                              {"store": {"path": os.path.join(tmp, "bulk2.sqlite")}, "return_counters": False})):
            module_args = dict(base, targets=[{"host": a} for a in addresses], **extra)
            cpu0 = cpu_of_children()
            started = time.monotonic()
            result = ansible_module(MODULE, module_args, timeout=1800)
            wall = time.monotonic() - started
            cpu = cpu_of_children() - cpu0
            if result["_rc"] != 0:
                print(result["_stdout"][-3000:])
                return 1
            if "store" in extra and not extra.get("return_counters", True):
                ok = exact_in_store(extra["store"]["path"], manifest)
            else:
                ok = exact(result["results"], manifest)
            rows.append((label, wall, args.devices, result["summary"]["succeeded"], ok, cpu))
            notes.append("%s: SNMP phase %.2fs, %d readings%s" % (
                label, result["summary"]["elapsed_seconds"], result["summary"]["readings"],
                ", %d stored" % result["store"]["readings_new"] if "store" in result else ""))

        # 2. module_utils API, in this process ------------------------------------------------------------
        def jobs(version_for):
            return [counters.CaptureJob(a, SnmpTarget(a, sim.port, SnmpCredentials(version=version_for(a)),
                                                      timeout=2, retries=1)) for a in addresses]

        api_results = None
        for label, version_for in (("module_utils capture_fleet, SNMPv1", lambda a: "1"),
                                   ("module_utils capture_fleet, SNMPv2c where answered (GETBULK)",
                                    lambda a: "2c" if "2c" in manifest[a]["snmp_versions"] else "1")):
            cpu0 = time.process_time()
            started = time.monotonic()
            results = counters.capture_fleet(jobs(version_for), concurrency=args.concurrency)
            wall = time.monotonic() - started
            rows.append((label, wall, args.devices, sum(not r["failed"] for r in results), exact(results, manifest),
                         time.process_time() - cpu0))
            api_results = api_results or results

        # 3. store insert rate ------------------------------------------------------------------------------
        captures, _ = counters.store_captures(api_results)
        readings = sum(len(c["counters"]) for c in captures)
        stores = [("SQLite", {"path": os.path.join(tmp, "rate.sqlite")})]
        if args.pg_dsn:
            stores.append(("PostgreSQL", {"dsn": args.pg_dsn}))
        store_rows = []
        for name, kind in stores:
            with CounterStore(**kind) as store:
                for what, shift in (("first capture", 0), ("next day's capture", 1), ("re-run, all present", 1)):
                    at = datetime(2024, 3, 1, 22, tzinfo=timezone.utc) + timedelta(days=shift)
                    batch = [dict(c, captured_at=at) for c in captures]
                    started = time.monotonic()
                    outcome = store.record_captures(batch)
                    wall = time.monotonic() - started
                    store_rows.append((name, what, readings, outcome["readings_new"], wall))

        # 4. peers ---------------------------------------------------------------------------------------------
        if not args.skip_peers:
            subset = addresses[:args.subset]
            inventory = os.path.join(tmp, "hosts.ini")
            with open(inventory, "w") as fh:
                fh.write("[printers]\n" + "\n".join("p%d ansible_host=%s" % (i, a) for i, a in enumerate(subset)))
            playbook = os.path.join(tmp, "per_host.yml")
            with open(playbook, "w") as fh:
                fh.write("""- hosts: printers
  gather_facts: false
  connection: local
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: One module run per device
      printfleet.canon.canon_counters:
        host: "{{ ansible_host }}"
        snmp_port: %d
        timeout: 2
        retries: 1
""" % sim.port)
            cpu0 = cpu_of_children()
            wall, proc = timed([bin_path("ansible-playbook"), "-i", inventory, "-f", str(args.forks), playbook],
                               ansible_env())
            cpu = cpu_of_children() - cpu0
            ok_hosts = proc.stdout.count("ok=1")
            rows.append(("per-host canon_counters, ansible-playbook -f %d, %d devices MEASURED"
                         % (args.forks, len(subset)), wall, len(subset), ok_hosts, None, cpu))
            scale = args.devices / float(len(subset))
            rows.append(("  same, EXTRAPOLATED x%.0f to %d devices" % (scale, args.devices), wall * scale,
                         args.devices, None, None, cpu * scale))

            if shutil.which("braa"):
                queries = os.path.join(tmp, "braa.txt")
                identity = [o for o in counters.CAPTURE_GET_OIDS]
                with open(queries, "w") as fh:
                    for a in addresses:
                        fh.write("public@%s:%d:.%s.*\n" % (a, sim.port, "1.3.6.1.4.1.1602.1.11"))
                        for o in identity:
                            fh.write("public@%s:%d:.%s\n" % (a, sim.port, o))
                started = time.monotonic()
                proc = subprocess.run(["braa", "-t", "2", "-r", "1", "-f", queries], capture_output=True,
                                      text=True, timeout=1800)
                wall = time.monotonic() - started
                answered = {line.split(":", 1)[0] for line in proc.stdout.splitlines() if line[:1].isdigit()}
                values = sum(1 for line in proc.stdout.splitlines() if line[:1].isdigit())
                rows.append(("braa -f (walk 1602.1.11 + %d GETs per device, SNMPv1)" % len(identity), wall,
                             args.devices, len(answered), None, None))
                notes.append("braa printed %d values (%d per device); it does not parse them into counters"
                             % (values, values // max(1, len(answered))))
            else:
                rows.append(("braa: not installed (scripts/setup.sh --test-tools)", float("nan"), 0, 0, None, None))
    finally:
        sim.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    print()
    print("Counter capture of %d devices (%s), concurrency %d, timeout 2 s, retries 1"
          % (args.devices, "/".join(CANON_MIX), args.concurrency))
    print("%-74s %8s %10s %6s %7s %8s" % ("how", "wall s", "devices/s", "read", "exact", "CPU s"))
    for label, wall, n, read, ok, cpu in rows:
        print("%-74s %8.2f %10.1f %6s %7s %8s" % (label, wall, n / wall if wall == wall and wall else 0,
                                                  "-" if read is None else read, "-" if ok is None else ok,
                                                  "-" if cpu is None else "%.1f" % cpu))
    print()
    for note in notes:
        print("  " + note)
    print("  'exact' = devices whose serial and every Canon counter equal the simulator's manifest.")
    print("  CPU s = CPU of the controller side (Ansible and module processes, or this process for the API rows).")
    print("  The simulator and the controller share this machine's %d cores." % os.cpu_count())
    print()
    print("Counter store insert rate (%d devices, %d readings per capture)" % (len(captures), readings))
    print("%-12s %-22s %10s %10s %10s" % ("store", "batch", "readings", "new", "readings/s"))
    for name, what, n, new, wall in store_rows:
        print("%-12s %-22s %10d %10d %10.0f" % (name, what, n, new, n / wall if wall else 0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
