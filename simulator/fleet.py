"""Build a simulated fleet from the command line or a spec file, and describe it in a manifest."""

from __future__ import annotations

import ipaddress
import json
import os
import random
from typing import Any, Dict, Iterable, List, Optional

import yaml

from .device import SimDevice, _fill_format

PROFILE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "profiles")
LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
# The default mix cycles through every profile so a small fleet shows each kind of device.
DEFAULT_MIX = ["ir-adv-c5535-iii", "mf642c", "ir-adv-dx-c5840", "lbp6670", "generic-laser", "linux-host"]


class FleetError(ValueError):
    """A bad fleet definition (unknown profile, non-loopback address, duplicate address ...)."""


def load_profiles(directory: str = PROFILE_DIR) -> Dict[str, Dict[str, Any]]:
    profiles = {}
    for name in sorted(os.listdir(directory)):
        if name.endswith((".yaml", ".yml")):
            with open(os.path.join(directory, name), encoding="utf-8") as fh:
                data = yaml.safe_load(fh)
            profiles[data["id"]] = data
    return profiles


def loopback_hosts(network: str, count: int, skip: Iterable[str] = ()) -> List[str]:
    """The first ``count`` host addresses of ``network``, which must lie inside 127.0.0.0/8."""
    try:
        net = ipaddress.ip_network(network, strict=False)
    except ValueError as exc:
        raise FleetError("bad network %r: %s" % (network, exc))
    if not net.subnet_of(LOOPBACK):
        raise FleetError("network %s is outside 127.0.0.0/8: simulated devices live on loopback only" % net)
    skip = set(skip)
    out = []
    for host in net.hosts():
        text = str(host)
        if text in skip:
            continue
        out.append(text)
        if len(out) == count:
            return out
    raise FleetError("network %s has only %d free host addresses, %d requested" % (net, len(out), count))


def check_address(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError as exc:
        raise FleetError("bad address %r: %s" % (address, exc))
    if ip not in LOOPBACK:
        raise FleetError("address %s is outside 127.0.0.0/8: simulated devices live on loopback only" % ip)
    return str(ip)


def build_fleet(count: int = 0, network: str = "127.0.1.0/24", profiles: Optional[List[str]] = None,
                seed: int = 0, spec: Optional[Dict[str, Any]] = None,
                catalog: Optional[Dict[str, Dict[str, Any]]] = None,
                captures: Optional[List[str]] = None) -> List[SimDevice]:
    """Devices from ``--count/--network/--profiles``, every entry of a spec document, and one device per
    ``--capture`` file (served from the capture, at the next free addresses of ``network``)."""
    catalog = catalog or load_profiles()
    devices: List[SimDevice] = []
    taken: Dict[str, str] = {}
    serials: set = set()

    def add(address: str, profile_id: str, overrides: Dict[str, Any]) -> None:
        address = check_address(address)
        if overrides.get("capture"):
            # a device served straight from a capture file (simulator/capture.py)
            from .capture import CaptureError, capture_profile
            try:
                profile = capture_profile(str(overrides["capture"]))
            except (CaptureError, OSError) as exc:
                raise FleetError(str(exc))
            profile_id = profile["id"]
        elif profile_id not in catalog:
            raise FleetError("unknown profile %r (known: %s)" % (profile_id, ", ".join(sorted(catalog))))
        else:
            profile = catalog[profile_id]
        if address in taken:
            raise FleetError("address %s is used twice" % address)
        dev = SimDevice(address, profile, index=len(devices), seed=seed, overrides=overrides)
        if dev.serial in serials and not overrides.get("serial") and dev.capture_objects is None:
            # a fleet's serials are unique, but drawn at random they collide in large fleets (five digits:
            # about 30 pairs among 2,500 devices of one model), and the serial is a device's identity
            # in the counter store: draw again, the same way every run
            rng = random.Random("%s/%s/%s/serial" % (seed, profile_id, len(devices)))
            serial = dev.serial
            while serial in serials:
                serial = _fill_format(profile.get("serial_format", "SIM#####"), rng)
            dev = SimDevice(address, profile, index=len(devices), seed=seed, overrides=dict(overrides, serial=serial))
        serials.add(dev.serial)
        dev.extensions["spec"] = overrides     # the spec entry, for subsystems (remote_ui, address_book ...)
        if overrides.get("faults"):
            # the spec's faults (simulator/faults.py keys), set from the start: e.g. {snmp_loss: 100}
            # for a silent device, {snmp_garbage: true} for one answering garbage
            from .faults import configure as configure_faults
            try:
                configure_faults(address, dict(overrides["faults"]))
            except (TypeError, ValueError) as exc:
                raise FleetError("device %s: bad faults: %s" % (address, exc))
        state = overrides.get("state") or {}
        if state.get("asleep"):
            dev.set_sleep(True, state.get("reject_snmp"))
        if state.get("powered") is False:
            dev.set_power(False)
        taken[address] = profile_id
        devices.append(dev)

    mix = profiles or DEFAULT_MIX
    for pid in mix:
        if pid not in catalog:
            raise FleetError("unknown profile %r (known: %s)" % (pid, ", ".join(sorted(catalog))))
    spec = spec or {}
    seed = int(spec.get("seed", seed))
    # explicit addresses first, so generated ones can skip them
    entries = spec.get("devices", []) or []
    for entry in entries:
        if "address" in entry:
            add(entry["address"], entry.get("profile", mix[0]), entry)
    for entry in entries:
        if "address" not in entry:
            n = int(entry.get("count", 1))
            entry_profiles = entry.get("profiles") or [entry.get("profile", mix[0])]
            for i, address in enumerate(loopback_hosts(entry.get("network", network), n, taken)):
                add(address, entry_profiles[i % len(entry_profiles)], entry)
    if count:
        for i, address in enumerate(loopback_hosts(network, count, taken)):
            add(address, mix[i % len(mix)], {})
    for path, address in zip(captures or [], loopback_hosts(network, len(captures or []), taken) if captures else []):
        add(address, "", {"capture": path})
    return devices


def manifest(devices: List[SimDevice], snmp_port: int, control_url: Optional[str] = None,
             ca_cert: Optional[str] = None) -> Dict[str, Any]:
    """What tests and demos need to know: addresses, ports, identity and credentials.

    Credentials are included on purpose: the simulator is a rehearsal tool, not a real fleet.
    ``ca_cert`` is the CA file that verifies the Remote UIs' HTTPS certificate.
    """
    out = []
    for d in devices:
        p = d.profile
        caps = p.get("capabilities", {}) or {}
        out.append({
            "address": d.address,
            "snmp_port": snmp_port,
            "http_ports": d.extensions.get("http_ports", caps.get("http_ports", [])),
            "remote_ui": d.extensions.get("remote_ui_manifest"),
            "sms": d.extensions.get("sms_manifest"),
            "profile": p["id"],
            "vendor": p.get("vendor"),
            "model": p.get("model"),
            "family": p.get("family"),
            "is_printer": bool(p.get("printer")),
            "serial": d.serial,
            "mac": d.mac,
            "firmware": p.get("firmware"),
            "sys_name": d.sys_name,
            "sys_location": d.sys_location,
            "snmp_versions": list(d.versions),
            "communities": dict(d.communities),
            "v3_users": [vars(u) for u in d.v3_users.values()],
            "capabilities": caps,
            "counters": ({str(k): v for k, v in d.counters.values().items()}
                         if p.get("printer") and d.capture_objects is None else {}),
            "capture": p.get("capture"),
        })
    return {"snmp_port": snmp_port, "control_url": control_url, "ca_cert": ca_cert, "devices": out}


def write_manifest(path: str, data: Dict[str, Any]) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
    os.replace(tmp, path)
