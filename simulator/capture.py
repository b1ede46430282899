"""Serve a device straight from a capture: ``.snmprec`` files and ``snmpwalk -On`` output.

Why: a user rehearses a playbook on a walk of their own printer, and our tests run against public
captures of real printers (simulator/captures/, each with its source named) instead of only our
own profiles. A captured device answers exactly what the capture holds; it is a read-only replay
(control-API jobs do not move its counters). The device's own loopback address replaces the
capture's ipAddrTable rows, so a discovery sweep finds it where it is served.

Formats:

* snmprec (snmpsim): ``OID|TAG|VALUE`` per line, TAG numeric (2 INTEGER, 4 OCTET STRING, 4x hex
  OCTET STRING, 5 NULL, 6 OID, 64 IpAddress, 65 Counter32, 66 Gauge32, 67 TimeTicks, 68 Opaque,
  70 Counter64); lines starting with ``#`` are comments.
* ``snmpwalk -On`` (net-snmp): ``.OID = TYPE: value``; multi-line strings continue on the next lines.
"""

from __future__ import annotations

import os
import re
from typing import Any, Dict, List, Optional, Tuple

from .mib import (COUNTER32, COUNTER64, GAUGE32, INTEGER, IP_ADDRESS, NULL, OBJECT_IDENTIFIER, OCTET_STRING,
                  OPAQUE, TIMETICKS, Value, oid)

CAPTURE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "captures")

_SNMPREC_TAGS = {"2": INTEGER, "4": OCTET_STRING, "5": NULL, "6": OBJECT_IDENTIFIER, "64": IP_ADDRESS,
                 "65": COUNTER32, "66": GAUGE32, "67": TIMETICKS, "68": OPAQUE, "70": COUNTER64}


class CaptureError(ValueError):
    """A capture file that cannot be read (names the file and line)."""


Objects = Dict[Tuple[int, ...], Value]


def _snmprec_value(tag: str, raw: str, where: str) -> Value:
    hexed = tag.endswith("x")
    base = tag[:-1] if hexed else tag
    if base not in _SNMPREC_TAGS:
        raise CaptureError("%s: unknown snmprec type %r" % (where, tag))
    kind = _SNMPREC_TAGS[base]
    try:
        if hexed:
            data = bytes.fromhex(raw.strip())
            if kind in (OCTET_STRING, OPAQUE):
                return Value(kind, data)
            raw = data.decode("ascii")
        if kind in (OCTET_STRING, OPAQUE):
            return Value(kind, raw.encode("utf-8"))
        if kind == NULL:
            return Value(NULL, None)
        if kind == OBJECT_IDENTIFIER:
            return Value(kind, oid(raw))
        if kind == IP_ADDRESS:
            return Value(kind, raw.strip())
        return Value(kind, int(raw.strip()))
    except ValueError as exc:
        raise CaptureError("%s: bad %s value %r (%s)" % (where, tag, raw, exc))


def parse_snmprec(text: str, name: str = "capture") -> Objects:
    """``OID|TAG|VALUE`` lines -> {oid tuple: Value}. A repeated OID keeps its first value."""
    objects: Objects = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split("|", 2)
        if len(parts) != 3:
            raise CaptureError("%s line %d: expected OID|TYPE|VALUE" % (name, number))
        key = oid(parts[0])
        objects.setdefault(key, _snmprec_value(parts[1].strip(), parts[2], "%s line %d" % (name, number)))
    return objects


_WALK_LINE = re.compile(r"^\s*(\.?[0-9]+(?:\.[0-9]+)+)\s*=\s*(.*)$")
_TIMETICKS = re.compile(r"^\((\d+)\)")


def _walk_value(kind: str, raw: str, where: str) -> Value:
    kind = kind.strip().upper()
    raw = raw.strip()
    try:
        if kind == "STRING":
            if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
                raw = raw[1:-1].replace('\\"', '"')
            return Value(OCTET_STRING, raw.encode("utf-8"))
        if kind in ("HEX-STRING", "OPAQUE"):
            return Value(OCTET_STRING if kind == "HEX-STRING" else OPAQUE, bytes.fromhex(raw.replace(" ", "")))
        if kind == "INTEGER":
            match = re.search(r"-?\d+", raw)      # 'INTEGER: printer(5)' -> 5
            if "(" in raw and raw.endswith(")"):
                match = re.search(r"\((-?\d+)\)$", raw)
                return Value(INTEGER, int(match.group(1)))
            return Value(INTEGER, int(match.group(0)))
        if kind in ("COUNTER32", "GAUGE32", "UNSIGNED32", "COUNTER64"):
            tag = {"COUNTER32": COUNTER32, "GAUGE32": GAUGE32, "UNSIGNED32": GAUGE32, "COUNTER64": COUNTER64}[kind]
            return Value(tag, int(raw.split()[0]))
        if kind == "TIMETICKS":
            match = _TIMETICKS.match(raw)
            return Value(TIMETICKS, int(match.group(1) if match else raw.split()[0]))
        if kind == "OID":
            return Value(OBJECT_IDENTIFIER, oid(raw.split()[0]))
        if kind == "IPADDRESS":
            return Value(IP_ADDRESS, raw)
        if kind == "NETWORK ADDRESS":
            return Value(IP_ADDRESS, ".".join(str(int(p, 16)) for p in raw.split(":")))
    except (ValueError, AttributeError) as exc:
        raise CaptureError("%s: bad %s value %r (%s)" % (where, kind, raw, exc))
    raise CaptureError("%s: unknown snmpwalk type %r" % (where, kind))


def parse_snmpwalk(text: str, name: str = "capture") -> Objects:
    """``snmpwalk -On`` output -> {oid tuple: Value}. Needs numeric OIDs (-On)."""
    objects: Objects = {}
    current: Optional[List[Any]] = None        # [oid, kind, raw, line number]

    def flush() -> None:
        if current is not None:
            where = "%s line %d" % (name, current[3])
            objects.setdefault(current[0], _walk_value(current[1], current[2], where))

    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _WALK_LINE.match(line)
        if match is None:
            if current is not None and current[1].strip().upper() == "STRING":
                current[2] += "\n" + line          # a string value that spans lines
                continue
            if current is not None and current[1].strip().upper() == "HEX-STRING":
                current[2] += " " + line.strip()
                continue
            raise CaptureError("%s line %d: not 'snmpwalk -On' output (expected '.OID = TYPE: value')"
                               % (name, number))
        flush()
        key = oid(match.group(1))
        rest = match.group(2)
        if rest.startswith('""'):
            current = [key, "STRING", '""', number]
        elif ":" in rest:
            kind, raw = rest.split(":", 1)
            current = [key, kind, raw, number]
        elif rest.strip().startswith(("No Such", "No more")):
            current = None
            continue
        else:
            raise CaptureError("%s line %d: value without a type: %r" % (name, number, rest))
    flush()
    return objects


def resolve(path: str, base: Optional[str] = None) -> str:
    """A capture path as given, or relative to ``base`` (a profile's folder), or to simulator/captures."""
    candidates = [path]
    if not os.path.isabs(path):
        if base:
            candidates.append(os.path.join(base, path))
        candidates.append(os.path.join(CAPTURE_DIR, path))
    for candidate in candidates:
        if os.path.isfile(candidate):
            return os.path.abspath(candidate)
    raise CaptureError("capture file %r not found (looked in %s)" % (path, ", ".join(candidates)))


def load_capture(path: str) -> Objects:
    """Read a capture; the format comes from its content (snmprec lines contain '|')."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    name = os.path.basename(path)
    first = next((ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")), "")
    if "|" in first and "=" not in first.split("|", 1)[0]:
        return parse_snmprec(text, name)
    return parse_snmpwalk(text, name)


# --- a profile for a captured device ------------------------------------------------------------------

SYS_DESCR = (1, 3, 6, 1, 2, 1, 1, 1, 0)
SYS_OBJECT_ID = (1, 3, 6, 1, 2, 1, 1, 2, 0)
HR_DEVICE_TYPE_PRINTER = (1, 3, 6, 1, 2, 1, 25, 3, 1, 5)
HR_DEVICE_TYPE = (1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 2)
PRINTER_MIB = (1, 3, 6, 1, 2, 1, 43)
CANON_PRINTER_OIDS = (1, 3, 6, 1, 4, 1, 1602, 4)
IF_PHYS_ADDRESS = (1, 3, 6, 1, 2, 1, 2, 2, 1, 6)
PRT_SERIAL = (1, 3, 6, 1, 2, 1, 43, 5, 1, 1, 17, 1)
CANON_SERIAL = (1, 3, 6, 1, 4, 1, 1602, 1, 2, 1, 4, 0)
IP_ADDR_TABLE = (1, 3, 6, 1, 2, 1, 4, 20)


def _text(objects: Objects, key: Tuple[int, ...]) -> Optional[str]:
    value = objects.get(key)
    if value is None or value.tag != OCTET_STRING:
        return None
    return value.value.decode("utf-8", "replace").strip() or None


def capture_mac(objects: Objects) -> Optional[str]:
    """The first interface's ifPhysAddress of six bytes, not all zero (loopback and empty ones skipped)."""
    for key in sorted(k for k in objects if k[:len(IF_PHYS_ADDRESS)] == IF_PHYS_ADDRESS):
        value = objects[key].value
        if isinstance(value, bytes) and len(value) == 6 and any(value):
            return ":".join("%02X" % b for b in value)
    return None


def capture_profile(path: str, base: Optional[str] = None, overrides: Optional[Dict[str, Any]] = None
                    ) -> Dict[str, Any]:
    """A profile dict for a device served from ``path`` (identity fields for the manifest only:
    the device answers from the capture, not from these)."""
    resolved = resolve(path, base)
    objects = load_capture(resolved)
    descr = _text(objects, SYS_DESCR) or ""
    sys_oid = objects.get(SYS_OBJECT_ID)
    sys_oid_text = ".".join(map(str, sys_oid.value)) if sys_oid and sys_oid.tag == OBJECT_IDENTIFIER else ""
    printer = (any(k[:len(PRINTER_MIB)] == PRINTER_MIB for k in objects)
               or any(v.tag == OBJECT_IDENTIFIER and v.value == HR_DEVICE_TYPE_PRINTER
                      for k, v in objects.items() if k[:len(HR_DEVICE_TYPE)] == HR_DEVICE_TYPE)
               or (sys_oid is not None and tuple(sys_oid.value[:8]) == CANON_PRINTER_OIDS))
    profile: Dict[str, Any] = {
        "id": "capture:" + os.path.basename(resolved),
        "vendor": descr.split()[0] if descr else None,
        "model": descr or os.path.basename(resolved),
        "family": "capture",
        "printer": printer,
        "sys_descr": descr,
        "sys_object_id": sys_oid_text or "0.0",
        "capture": resolved,
        "capture_objects": objects,
        "snmp": {"versions": ["1", "2c"], "communities": {"public": "ro"}, "v3_users": []},
        "capabilities": {"http_ports": []},
    }
    profile.update(overrides or {})
    return profile


def capture_serial(objects: Objects) -> Optional[str]:
    """The serial a capture publishes (Canon serial object, then prtGeneralSerialNumber)."""
    return _text(objects, CANON_SERIAL) or _text(objects, PRT_SERIAL)
