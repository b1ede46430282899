#!/usr/bin/env python3
"""Discovery benchmark: 5,000 simulated devices spread over a /16 of loopback (65,534 addresses).

Runs `ansible-inventory --list` with the printfleet.canon.discovery plugin (SNMPv1, timeout 1 s,
retries 1: every address gets up to two probes, each answer is identified with the plugin's full
identity read, and the inventory is built and printed) and, on the same targets in the same run,
onesixtyone (Debian package; sweep only, it identifies nothing). Optionally a naive per-target
pysnmp v1arch loop (--with-naive; slow). Prints wall time, addresses per second, devices found and
correct, the peak RSS of each tool, the simulator's CPU time and peak RSS (VmHWM), the machine's
load and the ratio plugin / onesixtyone. Prints figures only; it never fails on a time.

    python tests/perf/bench_discovery.py [--devices 5000] [--network 127.210.0.0/16] [--rate 100000]

What the two tools do differs, and the output says how:
- onesixtyone sends one probe per address (v1 GET of sysDescr.0) with no pacing (-w 0), never
  sends again, and ends 5 s after the last packet it sent or received (fixed in its code; it has
  no timeout or retry option). Its only rate option is -w, whole milliseconds between packets: -w 1
  would take over a minute for a /16, so -w 0 is its fastest setting.
- the plugin paces probes at --rate per second, sends each unanswered probe once more after
  --timeout, waits --timeout after its last probe, and reads sysDescr, sysObjectID, names,
  MAC, serials, printer MIB objects and status from every device that answered.
The simulator runs with --listen both: a wildcard socket drops datagrams to addresses without a
device (as a network does, no ICMP) and each device has its own socket and receive queue.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, ".ansible-collections"))

from tests.integration.simfleet import SimulatedFleet, ansible_env, bin_path  # noqa: E402

CANON_MIX = ["ir-adv-c5535-iii", "mf642c", "ir-adv-dx-c5840", "lbp6670"]


def proc_status(pid: int, key: str) -> float:
    """A /proc/<pid>/status figure in MiB (VmHWM: peak resident set)."""
    try:
        with open("/proc/%d/status" % pid) as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (from /proc/<pid>/stat)."""
    try:
        with open("/proc/%d/stat" % pid) as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")


def run_measured(cmd, env=None):
    """(wall seconds, stdout, stderr, return code, peak RSS MiB, CPU seconds) of one child process,
    measured in the same run (os.wait4 gives the child's own resource usage)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=err, env=env)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return (wall, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"),
                proc.returncode, usage.ru_maxrss / 1024.0, usage.ru_utime + usage.ru_stime)


def fleet_spec(network: str, devices: int):
    net = ipaddress.ip_network(network)
    hosts = net.num_addresses - 2
    step = max(1, hosts // devices)
    addresses = [str(net.network_address + 1 + i * step) for i in range(devices)]
    return {"seed": 99, "devices": [{"address": a, "profile": CANON_MIX[i % len(CANON_MIX)]}
                                    for i, a in enumerate(addresses)]}, hosts


async def naive_pysnmp(targets, port, timeout, retries, concurrency):
    from pysnmp.hlapi.v1arch.asyncio import CommunityData, SnmpDispatcher, UdpTransportTarget, get_cmd
    from pysnmp.proto.rfc1902 import Null
    from pysnmp.smi.rfc1902 import ObjectIdentity, ObjectType
    disp = SnmpDispatcher()
    sem = asyncio.Semaphore(concurrency)
    found = []

    async def one(address):
        async with sem:
            target = await UdpTransportTarget.create((address, port), timeout=timeout, retries=retries)
            err, status, _, vbs = await get_cmd(disp, CommunityData("public", mpModel=0), target,
                                                ObjectType(ObjectIdentity("1.3.6.1.2.1.1.2.0"), Null("")))
            if not err and not status:
                found.append(address)

    await asyncio.gather(*(one(a) for a in targets))
    disp.transport_dispatcher.close_dispatcher()
    return found


def _plain(value):
    """A value of `ansible-inventory --list` output without its unsafe marker."""
    return value["__ansible_unsafe"] if isinstance(value, dict) and "__ansible_unsafe" in value else value


def load_average() -> str:
    try:
        with open("/proc/loadavg") as fh:
            return " ".join(fh.read().split()[:3])
    except OSError:
        return "?"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devices", type=int, default=5000)
    ap.add_argument("--network", default="127.210.0.0/16")
    ap.add_argument("--rate", type=int, default=100000, help="discovery plugin probes per second")
    ap.add_argument("--timeout", type=float, default=1.0)
    ap.add_argument("--retries", type=int, default=1)
    ap.add_argument("--concurrency", type=int, default=512, help="identification requests in flight")
    ap.add_argument("--with-naive", action="store_true", help="also run the naive pysnmp loop (about a minute)")
    ap.add_argument("--naive-concurrency", type=int, default=4096)
    ap.add_argument("--skip-peers", action="store_true")
    ap.add_argument("--port", type=int, default=26161,
                    help="SNMP port of the simulated fleet (its wildcard socket takes the port on every address)")
    args = ap.parse_args()

    spec, hosts = fleet_spec(args.network, args.devices)
    print("starting simulator: %d devices over %s (%d addresses)..." % (args.devices, args.network, hosts), flush=True)
    t0 = time.monotonic()
    sim = SimulatedFleet(spec, port=args.port, ready_timeout=600, extra_args=["--listen", "both", "--no-http"])
    sim_pid = sim.proc.pid
    print("simulator ready in %.1fs (pid %d, resident %.0f MiB)"
          % (time.monotonic() - t0, sim_pid, proc_status(sim_pid, "VmRSS")), flush=True)
    tmp = tempfile.mkdtemp(prefix="bench-discovery-")
    rows = []
    loads = []
    expected = {d["address"] for d in sim.devices}
    try:
        config = {"plugin": "printfleet.canon.discovery", "regions": [{"name": "bench", "networks": [args.network]}],
                  "credentials": [{"name": "v1", "version": "1", "community": "public"}],
                  "port": args.port, "timeout": args.timeout, "retries": args.retries, "rate": args.rate,
                  "concurrency": args.concurrency, "max_hosts": 70000}
        path = os.path.join(tmp, "bench.canon.yml")
        with open(path, "w") as fh:
            yaml.safe_dump(config, fh)
        cmd = [bin_path("ansible-inventory"), "-i", path, "--list"]
        # the project's ansible.cfg (inject_facts_as_vars = false), then ansible-core's default (true)
        for label, extra in (("project ansible.cfg", {}),
                             ("inject_facts_as_vars=true", {"ANSIBLE_INJECT_FACT_VARS": "True"})):
            env = ansible_env(**extra)
            loads.append(load_average())
            sim_cpu = cpu_seconds(sim_pid)
            wall, out, err, rc, rss, cpu = run_measured(cmd, env=env)
            sim_cpu = cpu_seconds(sim_pid) - sim_cpu
            if rc != 0:
                print(err)
                return 1
            inv = json.loads(out[out.index("{"):])
            hv = inv["_meta"]["hostvars"]
            by_addr = {_plain(v["ansible_host"]): v for v in hv.values()}
            exact = sum(1 for d in sim.devices if d["address"] in by_addr
                        and _plain(by_addr[d["address"]]["canon_serial"]) == d["serial"]
                        and _plain(by_addr[d["address"]]["canon_model"]) == d["model"]
                        and _plain(by_addr[d["address"]]["canon_region"]) == "bench")
            rows.append(("discovery, %s" % label, wall, len(hv), exact, rss, cpu, sim_cpu))
            for line in err.splitlines():
                if "WARNING" in line:
                    print("  plugin: " + line.strip())
        plugin_rows = len(rows)

        if not args.skip_peers:
            hosts_file = os.path.join(tmp, "hosts.txt")
            net = ipaddress.ip_network(args.network)
            with open(hosts_file, "w") as fh:
                for ip in net.hosts():
                    fh.write(str(ip) + "\n")
            if shutil.which("onesixtyone"):
                cmd = ["onesixtyone", "-p", str(args.port), "-w", "0", "-i", hosts_file, "public"]
                loads.append(load_average())
                sim_cpu = cpu_seconds(sim_pid)
                wall1, out1, _, _, rss1, cpu1 = run_measured(cmd)
                sim_cpu = cpu_seconds(sim_pid) - sim_cpu
                # onesixtyone prints "<address> [community] <sysDescr>" per answer
                found = set(re.findall(r"(\d+\.\d+\.\d+\.\d+) \[public\]", out1))
                rows.append(("onesixtyone -w 0 (sweep only, sysDescr)", wall1, len(found), len(found & expected),
                             rss1, cpu1, sim_cpu))
            else:
                rows.append(("onesixtyone: not installed (scripts/setup.sh --test-tools)", float("nan"), 0, 0, 0,
                             0, 0))
            if args.with_naive:
                code = ("import asyncio,json,sys;sys.path.insert(0,%r);from tests.perf.bench_discovery import "
                        "naive_pysnmp;import ipaddress;t=[str(i) for i in ipaddress.ip_network(%r).hosts()];"
                        "print(json.dumps(asyncio.run(naive_pysnmp(t,%d,%r,%r,%r))))"
                        % (ROOT, args.network, args.port, args.timeout, args.retries, args.naive_concurrency))
                loads.append(load_average())
                sim_cpu = cpu_seconds(sim_pid)
                wall2, out2, _, _, rss2, cpu2 = run_measured([sys.executable, "-c", code])
                sim_cpu = cpu_seconds(sim_pid) - sim_cpu
                found2 = set(json.loads(out2 or "[]"))
                rows.append(("naive pysnmp v1arch loop, concurrency %d (sweep only)" % args.naive_concurrency,
                             wall2, len(found2), len(found2 & expected), rss2, cpu2, sim_cpu))
        sim_peak = proc_status(sim_pid, "VmHWM")
    finally:
        sim.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    print()
    print("Discovery of %d devices over %s: %d addresses; load average before each tool: %s"
          % (args.devices, args.network, hosts, "; ".join(loads)))
    print("%-56s %8s %12s %7s %8s %9s %8s %8s" % ("tool", "wall s", "addresses/s", "found", "correct", "peak MiB",
                                                 "CPU s", "sim CPU"))
    for name, wall, found, correct, rss, cpu, scpu in rows:
        print("%-56s %8.2f %12.0f %7d %8d %9.1f %8.2f %8.2f" % (
            name, wall, hosts / wall if wall == wall and wall else 0, found, correct, rss, cpu, scpu))
    print("simulator (one process, %d devices): peak RSS (VmHWM) %.1f MiB" % (args.devices, sim_peak))
    peer = rows[plugin_rows] if len(rows) > plugin_rows else None
    if peer and peer[1] == peer[1] and peer[1]:
        for row in rows[:plugin_rows]:
            print("ratio %s / onesixtyone wall time: %.2fx (target <= 1.0x)" % (row[0], row[1] / peer[1]))
    print()
    print("plugin: SNMPv1 community 'public', rate %d probes/s, timeout %ss, retries %d: each silent address gets %d "
          "probes and %.1fs; answers identified (%d in flight) and the inventory built and printed as JSON."
          % (args.rate, args.timeout, args.retries, args.retries + 1, args.timeout * (args.retries + 1),
             args.concurrency))
    print("onesixtyone: SNMPv1 community 'public', -w 0 (no pacing; -w counts whole ms, -w 1 would take over 65 s "
          "for a /16), one probe per address, no retries, ends 5 s after its last packet (fixed): "
          "sweep only, no identity, no inventory.")
    print("'correct' = devices whose serial, model and region match the simulator manifest (peers: addresses only).")
    print("The discovery rows run `ansible-inventory --list` with the project's ansible.cfg (inject_facts_as_vars = "
          "false) and with ansible-core's default (true): the default adds a per-host fact cleanup pass.")
    print("The plugin rows include ansible-inventory start-up, the sweep, identification and inventory building; "
          "'sim CPU' is the simulator's CPU time during that tool's run.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
