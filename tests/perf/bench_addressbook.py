#!/usr/bin/env python3
"""Address-book benchmark: canon_addressbook on a full 1,600-entry Type I book (simulated iR-ADV).

The book: 10 address lists of 140 entries (e-mail, fax, SMB file destinations with passwords, groups) and
200 one-touch buttons, 1,600 entries in 11 lists. Prints (figures only; it never fails on a time):

* the first write (state overridden on an empty device: 11 lists imported, read back and verified);
* the no-op run (the same task again: 11 lists read, planned, nothing written) - target < 3 s per device;
* a one-entry change (merged: one list rewritten and verified);
* each through Ansible (``ansible localhost -m printfleet.canon.canon_addressbook``: wall time including
  Ansible's start-up) and in this process (the module's main() without Ansible: the module's own cost),
  with the module's per-phase times (login, info, read, plan, backup, write, verify);
* on the public flows (the default ``write_method: per_entry``): requests per run and per operation,
  and a 300-entry Type II book (Coded Dial 281 + Favorites 19) read for a no-op with the portal pacing
  (simulator refusing requests closer than 2 s, client ``rui_min_interval: 2``), saying how much of the
  time is pacing.

Loopback only (default 127.171.0.0/24, issue 17's range). HTTPS with the simulator's CA.

    python tests/perf/bench_addressbook.py [--repeat 3] [--network 127.171.0.0/24] [--pacing 2.0]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import ipaddress
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, ".ansible-collections"))

from tests.module_args_compat import patch_module_args  # noqa: E402

from ansible_collections.printfleet.canon.plugins.modules import canon_addressbook  # noqa: E402
from tests.integration.simfleet import SimulatedFleet, ansible_env, bin_path  # noqa: E402
from ansible_collections.printfleet.canon.plugins.module_utils.addressbook import model as ab  # noqa: E402
from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.device import AddressBookClient  # noqa: E402
from ansible_collections.printfleet.canon.plugins.module_utils.transport import protocol_table as pt  # noqa: E402
from ansible_collections.printfleet.canon.plugins.module_utils.transport.remote_ui import (  # noqa: E402
    RemoteUiOptions, RemoteUiSession)

MODULE = "printfleet.canon.canon_addressbook"
PHASES = ("login", "info", "read", "plan", "backup", "write", "verify")
PER_LIST = 140
ONE_TOUCH = 200


def full_book() -> Dict[str, List[Dict[str, Any]]]:
    """1,400 address-list entries in 10 lists plus 200 one-touch buttons, every destination type but I-fax."""
    book: Dict[str, List[Dict[str, Any]]] = {}
    for n in range(1, 11):
        entries: List[Dict[str, Any]] = []
        for i in range(PER_LIST - 1):
            name = "L%02d-%03d" % (n, i)
            kind = i % 4
            if kind == 0:
                entries.append({"type": "email", "name": name, "address": "user%d.%d@example.com" % (n, i)})
            elif kind == 1:
                entries.append({"type": "fax", "name": name, "fax_number": "0221 %04d %03d" % (n, i)})
            elif kind == 2:
                entries.append({"type": "file", "name": name, "protocol": "smb",
                                "host": "\\\\fs%02d\\scans" % n, "path": "u%03d" % i,
                                "username": "CORP\\scan%d" % i, "password": "pw-%d-%d" % (n, i)})
            else:
                entries.append({"type": "email", "name": name, "address": "team%d.%d@example.com" % (n, i),
                                "reading": "team"})
        entries.append({"type": "group", "name": "L%02d-all" % n,
                        "members": [e["name"] for e in entries if e["type"] == "email"][:50]})
        book["address_list_%d" % n] = entries
    book["one_touch"] = [{"type": "email", "number": i, "name": "OT-%03d" % i, "short_name": "OT%d" % i,
                          "address": "button%d@example.com" % i} for i in range(1, ONE_TOUCH + 1)]
    return book


def in_process(args: Dict[str, Any]) -> Tuple[float, Dict[str, Any]]:
    """Run the module's main() in this process; (wall seconds, result)."""
    out = io.StringIO()
    started = time.monotonic()
    with patch_module_args(args), contextlib.redirect_stdout(out):
        try:
            canon_addressbook.main()
        except SystemExit:
            pass
    wall = time.monotonic() - started
    return wall, json.loads(out.getvalue())


def through_ansible(args: Dict[str, Any]) -> Tuple[float, Dict[str, Any]]:
    """``ansible localhost -m``; the book comes from an extra-vars file (too long for a command line)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump({"bench_lists": args["lists"]}, fh)
    try:
        cmd = [bin_path("ansible"), "localhost", "-m", MODULE, "-e", "@" + fh.name,
               "-a", json.dumps(dict(args, lists="{{ bench_lists }}"))]
        started = time.monotonic()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600,
                              env=ansible_env(ANSIBLE_STDOUT_CALLBACK="minimal",
                                              ANSIBLE_CALLBACK_RESULT_FORMAT="json"))
        wall = time.monotonic() - started
        _head, _sep, body = proc.stdout.partition(" => ")
        try:
            return wall, json.loads(body)
        except ValueError:
            raise SystemExit("ansible printed no result (rc=%s):\n%s\n%s"
                             % (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:]))
    finally:
        os.unlink(fh.name)


def check(result: Dict[str, Any], changed: bool, label: str) -> None:
    if result.get("failed") or result.get("changed") is not changed:
        raise SystemExit("%s: unexpected result %s" % (label, json.dumps(result)[:2000]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--network", default="127.171.0.0/24")
    ap.add_argument("--pacing", type=float, default=pt.PORTAL_MIN_INTERVAL,
                    help="portal gap between requests, seconds (simulator and client)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per row (the median is shown)")
    args = ap.parse_args()

    net = ipaddress.ip_network(args.network)
    address = str(net.network_address + 1)
    portal_address = str(net.network_address + 2)
    book = full_book()
    entries = sum(len(v) for v in book.values())
    portal_book = portal_type_ii_book()
    sim = SimulatedFleet({"seed": 9, "devices": [
        {"address": address, "profile": "ir-adv-c5535-iii"},
        {"address": portal_address, "profile": "mf642c", "address_book": portal_book,
         "remote_ui": {"min_interval": args.pacing}}]})
    public_rows: List[str] = []
    rows: List[Tuple[str, str, List[float], Dict[str, float]]] = []
    try:
        base = {"host": address, "system_manager_id": "7654321", "system_manager_pin": "7654321",
                "ca_path": sim.manifest["ca_cert"], "rui_flavour": "classic"}
        write_args = dict(base, state="overridden", lists=book)
        empty = {name: [] for name in book}

        def reset() -> None:
            sim.act(address, "remote_ui", address_book=empty)

        scenarios = [
            ("first write (overridden, 11 lists)", write_args, True, reset),
            ("no-op run (overridden, nothing to write)", write_args, False, None),
            ("one entry changed (merged, 1 list)", None, True, None),
        ]
        counter = [0]

        def one_change() -> Dict[str, Any]:
            counter[0] += 1
            return dict(base, state="merged", lists={"address_list_1": [
                {"type": "email", "name": "L01-000", "address": "changed%d@example.com" % counter[0]}]})

        for label, scenario_args, changed, before in scenarios:
            for how, runner in (("in process", in_process), ("ansible -m", through_ansible)):
                walls: List[float] = []
                phases: Dict[str, List[float]] = {}
                for _ in range(1 if before else args.repeat):
                    if before:
                        before()
                    run_args = scenario_args if scenario_args is not None else one_change()
                    wall, result = runner(run_args)
                    check(result, changed, "%s, %s" % (label, how))
                    walls.append(wall)
                    for phase, seconds in (result.get("timings") or {}).items():
                        phases.setdefault(phase, []).append(seconds)
                rows.append((label, how, walls, {p: statistics.median(v) for p, v in phases.items()}))
                print("  %-42s %-11s median %.2fs" % (label, how, statistics.median(walls)), flush=True)
        state = sim.control("GET", "/devices/%s/remote_ui" % address)
        held = sum(len(v) for v in state["address_book"].values())
        public_rows = public_flow_figures(sim, address, portal_address, portal_book, args.pacing)
    finally:
        sim.stop()

    print()
    print("canon_addressbook on a Type I book of %d entries (%d lists), simulator %s, HTTPS, %d runs per row"
          % (entries, len(book), address, args.repeat))
    header = "%-42s %-11s %7s %7s" % ("run", "how", "wall s", "min s") + "".join(" %7s" % p for p in PHASES)
    print(header)
    print("-" * len(header))
    for label, how, walls, phases in rows:
        print("%-42s %-11s %7.2f %7.2f" % (label, how, statistics.median(walls), min(walls))
              + "".join(" %7s" % ("%.3f" % phases[p] if p in phases else "-") for p in PHASES))
    print()
    print("  wall s: median wall time of the whole run; 'ansible -m' includes Ansible's start-up, its")
    print("  templating of the book argument and the module's own Python start-up (imports); 'in process' is")
    print("  the module's main() alone (argument validation included).")
    print("  Phases (median, seconds, from the module's 'timings'): login = Remote UI login; info = book")
    print("  information page; read = export and parse of the managed lists; plan = validation, plan and")
    print("  diff; write = imports; verify = read-back and comparison.")
    print("  The device held %d entries at the end. Target for the no-op run: < 3 s per device." % held)
    print("  The simulator and the controller share this machine's %d cores." % os.cpu_count())
    print()
    print("Public flows (write_method per_entry; client level: login, info, read, plan, write, logout)")
    for line in public_rows:
        print("  " + line)
    return 0


def portal_type_ii_book() -> Dict[str, List[Dict[str, Any]]]:
    """300 e-mail entries: Coded Dial 1-281 and Favorites 1-19 of a Type II device (collection numbering)."""
    return {"coded_dial": [{"type": "email", "number": i, "name": "CD-%03d" % i, "address": "cd%d@example.com" % i}
                           for i in range(1, 282)],
            "favorites": [{"type": "email", "number": i, "name": "FV-%02d" % i, "address": "fv%d@example.com" % i}
                          for i in range(1, 20)]}


def client_run(options: RemoteUiOptions, want: Dict[str, List[Dict[str, Any]]]) -> Dict[str, Any]:
    """One merged run at client level: (seconds, requests, per-operation requests, paced seconds, writes)."""
    started = time.monotonic()
    with RemoteUiSession(options) as rui:
        client = AddressBookClient(rui)
        have = client.read_lists(list(want))
        plan = ab.plan_changes(have, want, "merged", client.capabilities())
        for name in plan.lists_to_write:
            client.write_list(name, plan.after[name])
        requests, operations, paced = rui.request_count, dict(client.requests_by_operation), rui.paced_seconds
    return {"seconds": time.monotonic() - started, "requests": requests + 1, "operations": operations,
            "paced": paced, "written": list(plan.lists_to_write)}


def public_flow_figures(sim: SimulatedFleet, address: str, portal_address: str,
                        portal_book: Dict[str, List[Dict[str, Any]]], pacing: float) -> List[str]:
    ca = sim.manifest["ca_cert"]
    lines = []
    classic = RemoteUiOptions(host=address, system_manager_id="7654321", system_manager_pin="7654321", ca_path=ca,
                              flavour="classic")
    want = sim.control("GET", "/devices/%s/remote_ui" % address)["address_book"]
    noop = client_run(classic, want)
    lines.append("Type I no-op, %d entries: %.2f s, %d requests (%s), written %s"
                 % (sum(len(v) for v in want.values()), noop["seconds"], noop["requests"],
                    ", ".join("%s %d" % item for item in sorted(noop["operations"].items())),
                    noop["written"] or "none"))
    one = {"address_list_1": [{"type": "email", "name": "L01-000", "address": "public-flow@example.com"}]}
    change = client_run(classic, one)
    lines.append("Type I one-entry change: %.2f s, %d requests, write requests %d (one request chain), lists %s"
                 % (change["seconds"], change["requests"], change["operations"].get("write", 0), change["written"]))
    portal = RemoteUiOptions(host=portal_address, system_manager_id="7654321", system_manager_pin="7654321",
                             ca_path=ca, flavour="portal", min_interval=pacing, busy_retries=0)
    paced = client_run(portal, portal_book)
    lines.append("Type II no-op, 300 entries, pacing %.1f s: %.2f s, %d requests, of which pacing %.2f s (%.0f %%), "
                 "written %s" % (pacing, paced["seconds"], paced["requests"], paced["paced"],
                                 100.0 * paced["paced"] / paced["seconds"] if paced["seconds"] else 0,
                                 paced["written"] or "none"))
    refused = sim.control("GET", "/devices/%s/remote_ui" % portal_address)["counters"]["paced_refusals"]
    lines.append("Portal requests refused for pacing: %d (the client kept the gap)" % refused)
    return lines


if __name__ == "__main__":
    sys.exit(main())
