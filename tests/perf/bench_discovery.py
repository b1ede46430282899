#!/usr/bin/env python3
"""Discovery benchmark: 1,000 simulated devices spread over a /16 of loopback.

Runs `ansible-inventory --list` with the printfleet.canon.discovery plugin (timeout 1 s, retries 1)
and, on the same targets in the same run, two peers: onesixtyone (Debian package) and a naive
per-target pysnmp v1arch loop with bounded concurrency. Prints wall time, addresses per second,
devices found and peak memory for each. Prints figures only; it never fails on a time.

    python tests/perf/bench_discovery.py [--devices 1000] [--network 127.210.0.0/16] [--rate 60000]
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


def run_measured(cmd, env=None, timeout=900):
    """(wall seconds, peak RSS MiB, stdout) of one child process."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    out, err = proc.communicate(timeout=timeout)
    wall = time.monotonic() - started
    # the child is already reaped by communicate(); read its rusage from the children total delta
    return wall, out, err, proc.returncode


def peak_rss_mib(cmd, env=None):
    """Run once more under /usr/bin/time-like accounting (os.wait4) to read the peak RSS."""
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    return usage.ru_maxrss / 1024.0


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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--devices", type=int, default=1000)
    ap.add_argument("--network", default="127.210.0.0/16")
    ap.add_argument("--rate", type=int, default=60000, help="discovery plugin probes per second")
    ap.add_argument("--timeout", type=float, default=1.0)
    ap.add_argument("--retries", type=int, default=1)
    ap.add_argument("--naive-concurrency", type=int, default=4096)
    ap.add_argument("--skip-peers", action="store_true")
    ap.add_argument("--port", type=int, default=16100, help="SNMP port of the simulated fleet (wildcard listener)")
    args = ap.parse_args()

    spec, hosts = fleet_spec(args.network, args.devices)
    print("starting simulator: %d devices over %s (%d addresses)..." % (args.devices, args.network, hosts), flush=True)
    t0 = time.monotonic()
    sim = SimulatedFleet(spec, port=args.port, ready_timeout=300, extra_args=["--listen", "any"])
    print("simulator ready in %.1fs" % (time.monotonic() - t0), flush=True)
    tmp = tempfile.mkdtemp(prefix="bench-discovery-")
    rows = []
    try:
        config = {"plugin": "printfleet.canon.discovery", "regions": [{"name": "bench", "networks": [args.network]}],
                  "credentials": [{"name": "v1", "version": "1", "community": "public"}],
                  "port": args.port, "timeout": args.timeout, "retries": args.retries, "rate": args.rate,
                  "concurrency": 512, "max_hosts": 70000}
        path = os.path.join(tmp, "bench.canon.yml")
        with open(path, "w") as fh:
            yaml.safe_dump(config, fh)
        cmd = [bin_path("ansible-inventory"), "-i", path, "--list"]
        env = ansible_env()
        wall, out, err, rc = run_measured(cmd, env=env)
        if rc != 0:
            print(err)
            return 1
        inv = json.loads(out[out.index("{"):])
        hv = inv["_meta"]["hostvars"]

        def plain(v):
            return v["__ansible_unsafe"] if isinstance(v, dict) and "__ansible_unsafe" in v else v

        by_addr = {plain(v["ansible_host"]): v for v in hv.values()}
        exact = sum(1 for d in sim.devices if d["address"] in by_addr
                    and plain(by_addr[d["address"]]["canon_serial"]) == d["serial"]
                    and plain(by_addr[d["address"]]["canon_model"]) == d["model"]
                    and plain(by_addr[d["address"]]["canon_region"]) == "bench")
        rss = peak_rss_mib(cmd, env=env)
        rows.append(("printfleet.canon.discovery (ansible-inventory --list)", wall, len(hv), exact, rss))
        floor = args.timeout * (args.retries + 1)

        if not args.skip_peers:
            hosts_file = os.path.join(tmp, "hosts.txt")
            net = ipaddress.ip_network(args.network)
            with open(hosts_file, "w") as fh:
                for ip in net.hosts():
                    fh.write(str(ip) + "\n")
            if shutil.which("onesixtyone"):
                cmd = ["onesixtyone", "-p", str(args.port), "-w", "0", "-i", hosts_file, "public"]
                wall1, out1, _, _ = run_measured(cmd)
                # onesixtyone prints "<address> [community] <sysDescr>" per answer
                found = set(re.findall(r"(\d+\.\d+\.\d+\.\d+) \[public\]", out1))
                rss1 = peak_rss_mib(cmd)
                rows.append(("onesixtyone -w 0 (sweep only, sysDescr)", wall1, len(found),
                             len(found & {d["address"] for d in sim.devices}), rss1))
            else:
                rows.append(("onesixtyone: not installed (scripts/setup.sh --test-tools)", float("nan"), 0, 0, 0))
            code = ("import asyncio,json,sys;sys.path.insert(0,%r);from tests.perf.bench_discovery import naive_pysnmp;"
                    "import ipaddress;t=[str(i) for i in ipaddress.ip_network(%r).hosts()];"
                    "print(json.dumps(asyncio.run(naive_pysnmp(t,%d,%r,%r,%r))))"
                    % (ROOT, args.network, args.port, args.timeout, args.retries, args.naive_concurrency))
            cmd = [sys.executable, "-c", code]
            wall2, out2, err2, _ = run_measured(cmd)
            found2 = set(json.loads(out2 or "[]"))
            rss2 = peak_rss_mib(cmd)
            rows.append(("naive pysnmp v1arch loop, concurrency %d (sweep only)" % args.naive_concurrency, wall2,
                         len(found2), len(found2 & {d["address"] for d in sim.devices}), rss2))
    finally:
        sim.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    print()
    print("Discovery of %d devices over %s: %d addresses, timeout %ss, retries %d (floor %.1fs, 3x floor %.1fs)"
          % (args.devices, args.network, hosts, args.timeout, args.retries, floor, 3 * floor))
    print("%-58s %9s %12s %8s %8s %9s" % ("tool", "wall s", "addresses/s", "found", "correct", "peak MiB"))
    for name, wall, found, correct, rss in rows:
        print("%-58s %9.2f %12.0f %8d %8d %9.1f" % (name, wall, hosts / wall if wall == wall and wall else 0,
                                                  found, correct, rss))
    print()
    print("'correct' = devices whose serial, model and region match the simulator manifest (peers: addresses only).")
    print("The plugin row includes ansible-inventory start-up, the sweep, identification and inventory building.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
