#!/usr/bin/env python3
"""Counter capture benchmark: a simulated fleet of Canon devices (every counter table layout), some of
them silent and some answering garbage, captured in bulk into the counter store, beside braa.

Prints (figures only; it never fails on a time):

* the bulk capture through Ansible, the way the nightly AWX task runs it:
  ``ansible localhost -m printfleet.canon.canon_counters -a '{"targets_file": "targets.json", ...}'``
  (every device: 10,000 targets do not fit on a command line; ``--targets-via vars`` passes them as
  ``targets: "{{ bench_targets }}"`` with ``-e @targets.json`` instead), ``return_counters: false``,
  concurrency 1,000 and a SQLite store; with ``--pg`` also into a
  throwaway PostgreSQL cluster this script starts (initdb / pg_ctl from ``--pg-bin``, unix socket
  only, removed afterwards);
* each device's own outcome from ``results[]``: ok, or its ``error_code``, counted and checked
  against the faults injected through the simulator's fleet spec (``faults: {snmp_loss: 100}`` for a
  silent device, ``faults: {snmp_garbage: true}`` for one answering garbage), the readings stored
  and checked against the simulator's manifest (every healthy device, every counter, exact);
* braa (Debian package), a C mass-SNMP scanner, fetching the same objects of the same targets in
  the same run (walk of 1.3.6.1.4.1.1602.1.11, GET of the identity objects and prtMarkerLifeCount),
  and the ratio;
* the simulator process's memory (peak RSS, /proc/<pid>/status VmHWM) serving the whole fleet;
* with ``--more``: the module_utils API in this process (v1, and v2c GETBULK where answered),
  ``return_counters: true``, the store's insert rate, and per-host module runs on a subset.

Loopback only. Heavy: run it under ``flock /tmp/printfleet-perf.lock`` on a shared machine.

    python tests/perf/bench_counters.py [--devices 10000] [--network 127.211.0.0/16] [--pg]
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Set, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, ".ansible-collections"))

from ansible_collections.printfleet.canon.plugins.module_utils.counters import capture as counters  # noqa: E402
from ansible_collections.printfleet.canon.plugins.module_utils.counters.store import CounterStore  # noqa: E402
from ansible_collections.printfleet.canon.plugins.module_utils.transport.snmp import SnmpCredentials, SnmpTarget  # noqa: E402
from tests.integration.simfleet import SimulatedFleet, ansible_env, bin_path  # noqa: E402

CANON_MIX = ["ir-adv-c5535-iii", "ir-adv-dx-c5840", "mf642c", "lbp6670"]
MODULE = "printfleet.canon.canon_counters"
SILENT = {"snmp_loss": 100}
GARBAGE = {"snmp_garbage": True}


# ----------------------------------------------------------------------------------- the fleet -------

def fleet_spec(network: str, devices: int, silent_pct: float = 0.0, garbage_pct: float = 0.0,
               seed: int = 18) -> Tuple[Dict[str, Any], Set[str], Set[str]]:
    """The simulator spec, and which addresses are silent and which answer garbage.

    Devices are spread over the whole network; the faulty ones are a seeded random sample, so they
    sit between healthy ones as in a real fleet (not all at the end of the list)."""
    net = ipaddress.ip_network(network)
    step = max(1, (net.num_addresses - 2) // devices)
    addresses = [str(net.network_address + 1 + i * step) for i in range(devices)]
    order = list(range(devices))
    random.Random(seed).shuffle(order)
    n_silent = int(round(devices * silent_pct / 100.0))
    n_garbage = int(round(devices * garbage_pct / 100.0))
    silent = {addresses[i] for i in order[:n_silent]}
    garbage = {addresses[i] for i in order[n_silent:n_silent + n_garbage]}
    entries = []
    for i, a in enumerate(addresses):
        entry: Dict[str, Any] = {"address": a, "profile": CANON_MIX[i % len(CANON_MIX)]}
        if a in silent:
            entry["faults"] = dict(SILENT)
        elif a in garbage:
            entry["faults"] = dict(GARBAGE)
        entries.append(entry)
    return {"seed": 7, "devices": entries}, silent, garbage


def cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    try:
        with open("/proc/%d/stat" % pid) as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / float(os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return float("nan")


def memory_of(pid: int) -> Dict[str, int]:
    """VmHWM (peak RSS) and VmRSS of a process, in kB."""
    out = {}
    try:
        with open("/proc/%d/status" % pid) as fh:
            for line in fh:
                key, _sep, value = line.partition(":")
                if key in ("VmHWM", "VmRSS"):
                    out[key] = int(value.split()[0])
    except OSError:
        pass
    return out


# ----------------------------------------------------------------------------------- checks ----------

def outcomes(results: List[Dict[str, Any]]) -> Dict[str, str]:
    """address -> "ok" or the device's error_code."""
    return {r["address"]: ("ok" if not r.get("failed") else r.get("error_code") or "?") for r in results}


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


def store_check(kind: Dict[str, Any], manifest: Dict[str, Dict[str, Any]]) -> Tuple[int, Set[str], int, int]:
    """(readings in the store, serials in it, devices whose stored Canon counters all equal the
    simulator's values, stored Canon readings that differ from the simulator)."""
    by_serial = {d["serial"]: d for d in manifest.values()}
    with CounterStore(create=False, **kind) as store:
        readings = store.latest_readings()
    stored: Dict[str, Dict[str, int]] = {}
    for r in readings:
        if isinstance(r.counter_id, int):
            stored.setdefault(r.serial, {})[str(r.counter_id)] = r.value
    complete = wrong = 0
    for serial, values in stored.items():
        expected = by_serial.get(serial, {}).get("counters", {})
        wrong += sum(1 for k, v in values.items() if expected.get(k) != v)
        if values and all(expected.get(k) == v for k, v in values.items()):
            complete += 1
    return len(readings), {r.serial for r in readings}, complete, wrong


# ----------------------------------------------------------------------------------- runners ---------

def cpu_of_children() -> float:
    usage = os.times()
    return usage.children_user + usage.children_system


def bulk_module(vars_file: Optional[str], module_args: Dict[str, Any], timeout: float = 1800) -> Dict[str, Any]:
    """``ansible localhost -m canon_counters`` (with a vars file: -e @file); the result."""
    cmd = [bin_path("ansible"), "localhost", "-m", MODULE, "-a", json.dumps(module_args)]
    if vars_file:
        cmd += ["-e", "@" + vars_file]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env=ansible_env(ANSIBLE_STDOUT_CALLBACK="minimal", ANSIBLE_CALLBACK_RESULT_FORMAT="json"))
    _head, _sep, body = proc.stdout.partition(" => ")
    try:
        result = json.loads(body)
    except ValueError:
        raise SystemExit("ansible printed no result (rc=%s):\n%s\n%s" % (proc.returncode, proc.stdout[-3000:],
                                                                         proc.stderr[-3000:]))
    result["_rc"] = proc.returncode
    return result


class ThrowawayPostgres:
    """A PostgreSQL cluster in a temporary directory, reachable only on a unix socket there.

    initdb and the server refuse to run as root, so as root they run as ``--pg-user``."""

    def __init__(self, bindir: str, port: int, user: Optional[str]) -> None:
        self.bindir = bindir
        self.port = port
        self.user = user if os.geteuid() == 0 else None
        self.dir = tempfile.mkdtemp(prefix="bench-pg-")
        self.data = os.path.join(self.dir, "data")
        if self.user:
            shutil.chown(self.dir, user=self.user)
        os.chmod(self.dir, 0o755)
        self._run(["initdb", "-D", self.data, "-U", "printfleet", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"])
        self._run(["pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "server.log"), "-w", "-t", "60",
                   "-o", "-k %s -p %d -c listen_addresses=''" % (self.dir, port), "start"])
        self.started = True
        self.dsn = "host=%s port=%d dbname=postgres user=printfleet" % (self.dir, port)

    def _run(self, cmd: List[str]) -> None:
        cmd = [os.path.join(self.bindir, cmd[0])] + cmd[1:]
        proc = subprocess.run(cmd, capture_output=True, text=True, user=self.user, timeout=120)
        if proc.returncode:
            raise RuntimeError("%s failed: %s%s" % (" ".join(cmd), proc.stdout, proc.stderr))

    def stop(self) -> None:
        if getattr(self, "started", False):
            self._run(["pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"])
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)


def braa(addresses: List[str], port: int, tmp: str) -> Tuple[float, int, int]:
    """braa on the same objects of the same targets: (wall, devices answering, values printed)."""
    queries = os.path.join(tmp, "braa.txt")
    with open(queries, "w") as fh:
        for a in addresses:
            fh.write("public@%s:%d:.%s.*\n" % (a, port, "1.3.6.1.4.1.1602.1.11"))
            for o in counters.CAPTURE_GET_OIDS:
                fh.write("public@%s:%d:.%s\n" % (a, port, o))
    started = time.monotonic()
    proc = subprocess.run(["braa", "-t", "2", "-r", "1", "-f", queries], capture_output=True, text=True,
                          timeout=3600)
    wall = time.monotonic() - started
    lines = [line for line in proc.stdout.splitlines() if line[:1].isdigit()]
    return wall, len({line.split(":", 1)[0] for line in lines}), len(lines)


# ----------------------------------------------------------------------------------- main ------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devices", type=int, default=10000)
    ap.add_argument("--network", default="127.211.0.0/16")
    ap.add_argument("--port", type=int, default=16211, help="the simulator's SNMP port")
    ap.add_argument("--silent", type=float, default=5.0, help="percent of devices that never answer")
    ap.add_argument("--garbage", type=float, default=2.0, help="percent of devices answering garbage")
    ap.add_argument("--concurrency", type=int, default=1000)
    ap.add_argument("--versions", choices=["discovered", "1"], default="discovered",
                    help="discovered: each target's snmp_version as the discovery inventory records it "
                         "(canon_snmp_version: 2c where the device answers it, else 1); 1: SNMPv1 for all")
    ap.add_argument("--timeout", type=float, default=2.0)
    ap.add_argument("--retries", type=int, default=1)
    ap.add_argument("--pg", action="store_true", help="also capture into a throwaway PostgreSQL cluster")
    ap.add_argument("--pg-bin", default="/usr/local/bin", help="where initdb and pg_ctl are")
    ap.add_argument("--pg-port", type=int, default=54211, help="the throwaway cluster's port (unix socket only)")
    ap.add_argument("--pg-user", default="postgres", help="system user that runs the cluster when run as root")
    ap.add_argument("--pg-dsn", help="capture into this existing PostgreSQL database instead of a throwaway one")
    ap.add_argument("--targets-via", choices=["file", "vars"], default="file",
                    help="file: targets_file (the module reads the list); vars: targets: '{{ bench_targets }}' "
                         "with -e @targets.json (Ansible loads, templates and copies the list)")
    ap.add_argument("--skip-braa", action="store_true")
    ap.add_argument("--no-warmup", action="store_true",
                    help="measure against a cold simulator (its per-device answer caches fill on first use)")
    ap.add_argument("--more", action="store_true",
                    help="also the module_utils API rows, return_counters=true, store insert rate, per-host runs")
    ap.add_argument("--subset", type=int, default=100, help="devices for the per-host module runs (--more)")
    ap.add_argument("--forks", type=int, default=20)
    args = ap.parse_args()

    spec, silent, garbage = fleet_spec(args.network, args.devices, args.silent, args.garbage)
    print("starting simulator: %d devices (%s) over %s port %d, %d silent, %d answering garbage ..."
          % (args.devices, ", ".join(CANON_MIX), args.network, args.port, len(silent), len(garbage)), flush=True)
    t0 = time.monotonic()
    sim = SimulatedFleet(spec, port=args.port, extra_args=["--no-http"], ready_timeout=900)
    sim_ready = time.monotonic() - t0
    print("simulator ready in %.1fs (pid %d)" % (sim_ready, sim.proc.pid), flush=True)
    manifest = {d["address"]: d for d in sim.devices}
    addresses = [d["address"] for d in sim.devices]
    healthy = [a for a in addresses if a not in silent and a not in garbage]
    tmp = tempfile.mkdtemp(prefix="bench-counters-")
    pg: Optional[ThrowawayPostgres] = None
    rows: List[Tuple[str, float, int, Any, Any, Any]] = []
    checks: List[str] = []
    notes: List[str] = []
    store_rows: List[Tuple[str, str, int, int, float]] = []
    braa_wall = None
    mem: Dict[str, int] = {}
    load = ""

    def version_of(address: str) -> Dict[str, str]:
        if args.versions == "discovered" and "2c" in manifest[address]["snmp_versions"]:
            return {"snmp_version": "2c"}
        return {}

    try:
        target_list = [dict({"host": a, "name": "dev-%s" % a}, **version_of(a)) for a in addresses]
        targets_path = os.path.join(tmp, "targets.json")
        with open(targets_path, "w") as fh:
            if args.targets_via == "vars":
                json.dump({"bench_targets": target_list}, fh)
            else:
                json.dump(target_list, fh)
        vars_file = targets_path if args.targets_via == "vars" else None
        how = {"targets": "{{ bench_targets }}"} if vars_file else {"targets_file": targets_path}
        base = dict(how, snmp_port=sim.port, timeout=args.timeout, retries=args.retries,
                    concurrency=args.concurrency, return_counters=False, capture_time="2024-03-31T22:00:00Z")

        stores: List[Tuple[str, Dict[str, Any]]] = [("SQLite", {"path": os.path.join(tmp, "bulk.sqlite")})]
        if args.pg_dsn:
            stores.append(("PostgreSQL", {"dsn": args.pg_dsn}))
        elif args.pg:
            pg = ThrowawayPostgres(args.pg_bin, args.pg_port, args.pg_user)
            stores.append(("PostgreSQL (throwaway cluster)", {"dsn": pg.dsn}))

        # 0. warm-up: the simulator fills per-device answer caches on the first requests (about 10 s of
        # its CPU for 10,000 devices); one unmeasured pass first, so every measured row (and braa)
        # meets the same warm simulator
        if not args.no_warmup:
            started = time.monotonic()
            warm = counters.capture_fleet([counters.CaptureJob(a, SnmpTarget(
                a, sim.port, SnmpCredentials(version=version_of(a).get("snmp_version", "1")), timeout=1.0,
                retries=1)) for a in addresses], concurrency=args.concurrency)
            notes.append("warm-up pass (module_utils, timeout 1 s, not compared): %.1fs, %d devices read"
                         % (time.monotonic() - started, sum(not r["failed"] for r in warm)))
            del warm

        # 1. the bulk capture through Ansible, per store ------------------------------------------
        load = open("/proc/loadavg").read().split()[:3]
        for name, kind in stores:
            sim_cpu0 = cpu_of(sim.proc.pid)
            cpu0 = cpu_of_children()
            started = time.monotonic()
            result = bulk_module(vars_file, dict(base, store=kind))
            wall = time.monotonic() - started
            cpu = cpu_of_children() - cpu0
            sim_cpu = cpu_of(sim.proc.pid) - sim_cpu0
            if "results" not in result:
                print(json.dumps(result)[:3000])
                return 1
            got = outcomes(result["results"])
            counts: Dict[str, int] = {}
            for code in got.values():
                counts[code] = counts.get(code, 0) + 1
            stored, serials_stored, complete, wrong = store_check(kind, manifest)
            faulty_stored = len(serials_stored & {manifest[a]["serial"] for a in silent | garbage})
            label = "ansible -m canon_counters, bulk (%s), %s store" % (
                "targets_file" if not vars_file else "-e @targets", name)
            rows.append((label, wall, args.devices, counts.get("ok", 0), complete, cpu))
            summary = result["summary"]
            notes.append("%s: rc %d, SNMP phase %.2fs, simulator CPU %.1fs; readings stored %d (store says %d "
                         "new) of %d devices; outcomes %s" % (
                             name, result["_rc"], summary["elapsed_seconds"], sim_cpu, stored,
                             result.get("store", {}).get("readings_new", -1), len(serials_stored),
                             ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
            silent_codes = sorted({got[a] for a in silent})
            garbage_codes = sorted({got[a] for a in garbage})
            checks.append("[%s] silent reported as silent (snmp_no_response): %d/%d%s" % (
                name, sum(got[a] == "snmp_no_response" for a in silent), len(silent),
                "" if silent_codes in ([], ["snmp_no_response"]) else "  codes seen: %s" % silent_codes))
            checks.append("[%s] garbage reported as garbage (snmp_malformed_response): %d/%d%s" % (
                name, sum(got[a] == "snmp_malformed_response" for a in garbage), len(garbage),
                "" if garbage_codes in ([], ["snmp_malformed_response"]) else "  codes seen: %s" % garbage_codes))
            checks.append("[%s] healthy read ok: %d/%d; stored with exact values: %d/%d; readings differing "
                          "from the simulator: %d; faulty devices in the store: %d" % (
                              name, sum(got[a] == "ok" for a in healthy), len(healthy), complete, len(healthy),
                              wrong, faulty_stored))
            if name == "SQLite":
                # a re-run of the same capture_time records nothing twice
                again = bulk_module(vars_file, dict(base, store=kind))
                checks.append("[SQLite] re-run with the same capture_time: %d new readings, %d present"
                              % (again.get("store", {}).get("readings_new", -1),
                                 again.get("store", {}).get("readings_present", -1)))

        # 2. braa, same objects, same targets ---------------------------------------------------------
        if not args.skip_braa:
            if shutil.which("braa"):
                braa_wall, answered, values = braa(addresses, sim.port, tmp)
                rows.append(("braa -f (walk 1602.1.11 + %d GETs per device, SNMPv1)"
                             % len(counters.CAPTURE_GET_OIDS), braa_wall, args.devices, answered, None, None))
                notes.append("braa printed %d values (%d per answering device); it does not parse them into "
                             "counters, store them, or say which device failed why"
                             % (values, values // max(1, answered)))
            else:
                notes.append("braa: not installed (scripts/setup.sh --test-tools)")

        # 3. optional extra rows ---------------------------------------------------------------------------
        if args.more:
            more_rows(args, sim, addresses, manifest, vars_file, base, tmp, rows, notes, store_rows)
        mem = memory_of(sim.proc.pid)
    finally:
        mem = mem or memory_of(sim.proc.pid)
        sim.stop()
        if pg is not None:
            pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    print()
    print("Bulk counter capture of %d devices (%s; %d silent, %d answering garbage), concurrency %d, "
          "timeout %gs, retries %d, %s" % (args.devices, "/".join(CANON_MIX), len(silent), len(garbage),
                                           args.concurrency, args.timeout, args.retries,
                                           "SNMPv1" if args.versions == "1" else
                                           "SNMPv2c (GETBULK) where the device answers it, else SNMPv1"))
    print("load average before the runs: %s; %d cores shared by the simulator, the controller and braa"
          % (" ".join(load), os.cpu_count() or 0))
    print("%-74s %8s %10s %6s %9s %8s" % ("how", "wall s", "devices/s", "ok", "exact", "CPU s"))
    for label, wall, n, ok, good, cpu in rows:
        print("%-74s %8.2f %10.1f %6s %9s %8s" % (label, wall, n / wall if wall == wall and wall else 0,
                                                  "-" if ok is None else ok, "-" if good is None else good,
                                                  "-" if cpu is None else "%.1f" % cpu))
    if braa_wall:
        for label, wall, _n, _ok, _good, _cpu in rows:
            if label.startswith("ansible -m canon_counters, bulk"):
                print("ratio to braa: %.2fx  (%s)" % (wall / braa_wall, label))
    print()
    for check in checks:
        print("  " + check)
    for note in notes:
        print("  " + note)
    print("  simulator (one process, %d devices): peak RSS %.0f MB (VmHWM), RSS at the end %.0f MB; "
          "ready in %.1fs" % (args.devices, mem.get("VmHWM", 0) / 1024.0, mem.get("VmRSS", 0) / 1024.0, sim_ready))
    print("  'ok' = devices read; 'exact' = devices in the store whose every stored Canon counter (numbered ID) "
          "equals the simulator's value.")
    print("  CPU s = CPU of the controller side (the Ansible and module processes).")
    if store_rows:
        print()
        print("Counter store insert rate")
        print("%-12s %-22s %10s %10s %10s" % ("store", "batch", "readings", "new", "readings/s"))
        for name, what, n, new, wall in store_rows:
            print("%-12s %-22s %10d %10d %10.0f" % (name, what, n, new, n / wall if wall else 0))
    return 0


def more_rows(args, sim, addresses, manifest, vars_file, base, tmp, rows, notes, store_rows) -> None:
    """The extra rows of --more: every reading returned, the module_utils API, store rate, per-host runs."""
    cpu0 = cpu_of_children()
    started = time.monotonic()
    result = bulk_module(vars_file, dict(base, return_counters=True))
    rows.append(("ansible -m canon_counters, bulk, no store, all readings returned", time.monotonic() - started,
                 args.devices, result["summary"]["succeeded"], exact(result["results"], manifest),
                 cpu_of_children() - cpu0))

    def jobs(version_for):
        return [counters.CaptureJob(a, SnmpTarget(a, sim.port, SnmpCredentials(version=version_for(a)),
                                                  timeout=args.timeout, retries=args.retries)) for a in addresses]

    api_results = None
    for label, version_for in (("module_utils capture_fleet, SNMPv1", lambda a: "1"),
                               ("module_utils capture_fleet, SNMPv2c where answered (GETBULK)",
                                lambda a: "2c" if "2c" in manifest[a]["snmp_versions"] else "1")):
        cpu0 = time.process_time()
        started = time.monotonic()
        results = counters.capture_fleet(jobs(version_for), concurrency=args.concurrency)
        rows.append((label, time.monotonic() - started, args.devices, sum(not r["failed"] for r in results),
                     exact(results, manifest), time.process_time() - cpu0))
        api_results = api_results or results

    captures, _unused = counters.store_captures(api_results)
    readings = sum(len(c["counters"]) for c in captures)
    with CounterStore(path=os.path.join(tmp, "rate.sqlite")) as store:
        for what, shift in (("first capture", 0), ("next day's capture", 1), ("re-run, all present", 1)):
            at = datetime(2024, 3, 1, 22, tzinfo=timezone.utc) + timedelta(days=shift)
            started = time.monotonic()
            outcome = store.record_captures([dict(c, captured_at=at) for c in captures])
            store_rows.append(("SQLite", what, readings, outcome["readings_new"], time.monotonic() - started))

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
        timeout: %g
        retries: %d
      ignore_errors: true
""" % (sim.port, args.timeout, args.retries))
    cpu0 = cpu_of_children()
    started = time.monotonic()
    proc = subprocess.run([bin_path("ansible-playbook"), "-i", inventory, "-f", str(args.forks), playbook],
                          cwd=ROOT, capture_output=True, text=True, env=ansible_env(), timeout=3600)
    wall = time.monotonic() - started
    cpu = cpu_of_children() - cpu0
    rows.append(("per-host canon_counters, ansible-playbook -f %d, %d devices MEASURED" % (args.forks, len(subset)),
                 wall, len(subset), proc.stdout.count("ok=1"), None, cpu))
    scale = args.devices / float(len(subset))
    rows.append(("  same, EXTRAPOLATED x%.0f to %d devices" % (scale, args.devices), wall * scale, args.devices,
                 None, None, cpu * scale))


if __name__ == "__main__":
    sys.exit(main())
