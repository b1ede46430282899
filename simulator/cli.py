"""Command line: ``python -m simulator serve ...`` runs a fleet; ``python -m simulator ctl ...`` drives it."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import urllib.request
from typing import List, Optional

import yaml

from .control import ControlApi
from .faults import install as install_faults
from .fleet import FleetError, build_fleet, load_profiles, manifest, write_manifest


def _serve_parser(sub) -> None:
    p = sub.add_parser("serve", help="serve a simulated fleet on loopback addresses")
    p.add_argument("--count", type=int, default=0, help="number of generated devices")
    p.add_argument("--network", default="127.0.1.0/24",
                   help="loopback CIDR; generated devices take its first host addresses")
    p.add_argument("--port", type=int, default=16100, help="SNMP UDP port every device answers on")
    p.add_argument("--profiles", default="", help="comma-separated profile ids to cycle through "
                                                  "(default: a mix of every profile)")
    p.add_argument("--seed", type=int, default=0, help="seed for serials, MACs and counters")
    p.add_argument("--spec", help="YAML spec file with per-device settings")
    p.add_argument("--capture", action="append", default=[], metavar="FILE",
                   help="serve a device straight from a capture (.snmprec or 'snmpwalk -On' output); "
                        "repeatable; each takes the next free address of --network")
    p.add_argument("--manifest", help="write a JSON manifest of the fleet to this file")
    p.add_argument("--control", default="127.0.0.1:0",
                   help="address:port of the control API (loopback only; port 0 = any free port)")
    p.add_argument("--no-http", action="store_true", help="do not start the Remote UI listeners")
    p.add_argument("--listen", choices=["address", "any", "both"], default="address",
                   help="SNMP sockets: one per device address (default; simulators can share a port), or one "
                        "wildcard socket that answers only for device addresses and only loopback managers "
                        "(faster for fleets of hundreds or thousands of devices), or both: the wildcard socket "
                        "drops what is sent to addresses without a device, and each device has its own socket "
                        "and queue (sweeps of a large range)")


def _ctl_parser(sub) -> None:
    p = sub.add_parser("ctl", help="send a scenario command to a running simulator")
    p.add_argument("--url", help="control API URL (default: read from --manifest)")
    p.add_argument("--manifest", help="manifest written by 'serve --manifest'")
    p.add_argument("action", choices=["state", "print", "copy", "scan", "supply", "alert", "clear",
                                      "sleep", "wake", "power-off", "power-on", "restart"])
    p.add_argument("address")
    p.add_argument("--pages", type=int, default=1)
    p.add_argument("--size", default="A4")
    p.add_argument("--color", action="store_true")
    p.add_argument("--sides", type=int, default=1)
    p.add_argument("--colorant")
    p.add_argument("--level", type=int)
    p.add_argument("--kind")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    _serve_parser(sub)
    _ctl_parser(sub)
    sub.add_parser("profiles", help="list the device profiles")
    args = parser.parse_args(argv)
    if args.command == "profiles":
        for pid, prof in load_profiles().items():
            print("%-20s %-8s %-26s %s" % (pid, prof.get("vendor"), prof.get("model"), prof.get("family")))
        return 0
    if args.command == "ctl":
        return _ctl(args)
    try:
        return asyncio.run(_serve(args))
    except FleetError as exc:
        print("simulator: %s" % exc, file=sys.stderr)
        return 2


async def _serve(args) -> int:
    from .snmp.agent import SnmpAgent   # imported late: 'profiles' and 'ctl' do not need it
    spec = None
    if args.spec:
        with open(args.spec, encoding="utf-8") as fh:
            spec = yaml.safe_load(fh) or {}
    profiles = [p.strip() for p in args.profiles.split(",") if p.strip()] or None
    devices = build_fleet(args.count, args.network, profiles, args.seed, spec, captures=args.capture)
    if not devices:
        raise FleetError("no devices: give --count or a --spec with devices")
    control_host, _unused, control_port = args.control.rpartition(":")
    if not control_host.startswith("127."):
        raise FleetError("the control API listens on loopback only")
    agent = SnmpAgent(devices, port=args.port, listen=args.listen)
    await agent.start()
    control = ControlApi(devices)
    install_faults(control)                      # /devices/<address>/faults (simulator/faults.py)
    url = await control.listen(control_host, int(control_port or 0))
    extras = []
    if not args.no_http:
        try:
            from .remote_ui import start_remote_ui   # the Remote UI subsystem, when present
        except ImportError:
            start_remote_ui = None
        if start_remote_ui is not None:
            extras.append(await start_remote_ui(devices, control))
    if args.manifest:
        ca_cert = next((x.ca_cert for x in extras if getattr(x, "ca_cert", None)), None)
        write_manifest(args.manifest, manifest(devices, args.port, url, ca_cert=ca_cert))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("READY %d devices snmp=%d control=%s" % (len(devices), args.port, url), flush=True)
    await stop.wait()
    for extra in extras:
        await extra.close()
    await control.close()
    await agent.stop()
    return 0


def _ctl(args) -> int:
    url = args.url
    if not url and args.manifest:
        with open(args.manifest, encoding="utf-8") as fh:
            url = json.load(fh)["control_url"]
    if not url:
        print("simulator ctl: give --url or --manifest", file=sys.stderr)
        return 2
    base = "%s/devices/%s" % (url.rstrip("/"), args.address)
    method, path, body = "POST", "", None
    if args.action == "state":
        method = "GET"
    elif args.action in ("print", "copy"):
        path, body = "/" + args.action, {"pages": args.pages, "size": args.size, "color": args.color,
                                         "sides": args.sides}
    elif args.action == "scan":
        path, body = "/scan", {"pages": args.pages, "size": args.size, "color": args.color}
    elif args.action == "supply":
        path, body = "/supply", {"colorant": args.colorant or "black", "level": args.level}
    elif args.action == "alert":
        path, body = "/alerts", {"kind": args.kind or "toner_low", "colorant": args.colorant}
    elif args.action == "clear":
        method, path = "DELETE", "/alerts" + ("/" + args.kind if args.kind else "")
    elif args.action in ("sleep", "wake"):
        path, body = "/sleep", {"on": args.action == "sleep"}
    elif args.action in ("power-off", "power-on"):
        path, body = "/power", {"on": args.action == "power-on"}
    elif args.action == "restart":
        path, body = "/restart", {}
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        print(json.dumps(json.loads(resp.read()), indent=2))
    return 0
