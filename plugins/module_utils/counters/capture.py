# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Canon billing counters: the catalog, reading the three SNMP counter tables, selection, bulk capture.

Why it is built this way:

* Canon devices expose their "Counter Check" counters in up to three tables under
  1.3.6.1.4.1.1602.1.11, and which ones exist depends on the model and its service-mode display
  settings (research/canon-device-protocols.md §1.2). So every capture walks all three and reads
  the names the device gives, then merges by counter ID. IDs of the self-describing MF/LBP table
  come from its label strings, never from its running index (indexes vary by model).
* A billing reading is never dropped: an ID or label this catalog does not know is kept with the
  device's own label and category ``other``.
* One capture is two SNMP operations per device (one GET for identity + prtMarkerLifeCount, one
  multi-column walk of the counter subtree), and many devices share one event loop, so a nightly
  capture of thousands of devices is one module run.

The pure functions (``rows_from_walk``, ``merge_counters``, ``select_counters`` ...) take raw SNMP
answers and are what the unit tests exercise; ``read_device`` / ``capture_fleet`` do the I/O.
"""

from __future__ import annotations

import asyncio
import functools
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Protocol, Sequence, Tuple, Union

from ansible_collections.printfleet.canon.plugins.module_utils.transport import oids
from ansible_collections.printfleet.canon.plugins.module_utils.device.identity import classify, require_printer
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.transport.snmp import (
    NO_SUCH, SnmpClient, SnmpTarget, require_pysnmp, to_text)

CounterId = Union[int, str]


class SnmpReader(Protocol):
    """What a capture needs from an SNMP client (snmp.SnmpClient fits; tests pass fakes).

    capture_fleet reads every device through one SnmpClient: all v1/v2c requests share one UDP
    socket, so a capture of 1,000 devices is seconds of controller CPU, not minutes.
    """

    async def get(self, target: SnmpTarget, oids: Iterable[str]) -> Dict[str, Any]: ...

    async def walk_columns(self, target: SnmpTarget, columns: Dict[str, str], max_rows: int = ...,
                           max_repetitions: int = ...) -> Dict[tuple, Dict[str, Any]]: ...


# The largest reading a store keeps (SQL BIGINT); a device value beyond it is skipped with a warning.
MAX_READING = 2 ** 63 - 1


# --- catalog ---------------------------------------------------------------------------------------

CATEGORIES: Tuple[str, ...] = ("total", "copy", "print", "scan", "colour", "black", "size", "sides", "other")
CATEGORY_ALIASES: Dict[str, str] = {"color": "colour", "bw": "black", "mono": "black", "duplex": "sides"}
UNIT_IMPRESSIONS = "impressions"   # Canon "clicks": one per printed side; "...2" counters count large twice
UNIT_SCANS = "scans"               # originals scanned


# --- labels ------------------------------------------------------------------------------------------

_SPACE = re.compile(r"\s+")
_BW = re.compile(r"black\s*(?:&|and)\s*white|b\s*&\s*w")


@functools.lru_cache(maxsize=4096)
def normalise_label(label: str) -> str:
    """A comparison key for a counter label: case, spacing, colour/color and B&W spellings ignored.

    Cached: a fleet capture meets the same few hundred labels once per device (10,000 devices, ~100
    labels each), and the two regular expressions were a tenth of the capture's controller CPU."""
    text = label.casefold().replace("colour", "color")
    text = _BW.sub("black", text)
    return _SPACE.sub("", text)


@dataclass(frozen=True)
class CounterDef:
    """One Canon counter ID and its panel label.

    ``confirmed`` is True where a public English capture shows this exact ID/label pair (see
    docs/counters.md, "Where each pair comes from"); False where the label is only known from a
    translated listing or inferred from the numbering. Only confirmed labels give an unnumbered
    name/value row an ID (``id_source: catalog``); unconfirmed ones only name device-numbered rows.
    """

    id: int
    name: str
    category: str
    unit: str = UNIT_IMPRESSIONS
    confirmed: bool = True


@functools.lru_cache(maxsize=4096)
def category_for_label(label: Optional[str]) -> str:
    """The category a Canon counter label names, from its own words (function first, then colour,
    then size/sides): 'Print (Full Color + Single Color/Large)' is print, 'Copy (Black/Small)' copy,
    'Total (Black 2)' black, 'Total (Large)' size. Categories follow the device's names, never the ID."""
    text = normalise_label(label or "")
    if not text:
        return "other"
    if "scan" in text:
        return "scan"
    head = text.split("(", 1)[0]
    if head in ("copy+print",):
        if "black" in text:
            return "black"
        if "color" in text:
            return "colour"
        return "total"
    if head.startswith("copy"):
        return "copy"
    if head.startswith(("print", "receiveprint")):      # "Receive Print (...)": received faxes printed
        return "print"
    if head.startswith("total") or head in ("large", "small"):
        if "2-sided" in text:
            return "sides"
        if "black" in text:
            return "black"
        if "color" in text:
            return "colour"
        if "large" in text or "small" in text or "longsheet" in text or head in ("large", "small"):
            return "size"
        return "total"
    return "other"


def _def(cid: int, name: str, confirmed: bool = True) -> "CounterDef":
    return CounterDef(cid, name, category_for_label(name), UNIT_SCANS if cid // 100 == 5 else UNIT_IMPRESSIONS,
                      confirmed)


# Every pair's source: docs/counters.md ("Where each pair comes from"). confirmed=False: the English
# label is reconstructed from a translated public listing of the Counter Check numbers or inferred.
CATALOG: Dict[int, CounterDef] = {d.id: d for d in (
    _def(101, "Total 1"),
    _def(102, "Total 2"),
    _def(103, "Total (Large)"),
    _def(104, "Total (Small)"),
    _def(105, "Total (Full Color 1)", confirmed=False),
    _def(106, "Total (Full Color 2)", confirmed=False),
    _def(108, "Total (Black 1)"),
    _def(109, "Total (Black 2)"),
    _def(110, "Total (Single Color/Large)"),
    _def(111, "Total (Single Color/Small)"),
    _def(112, "Total (Black/Large)"),
    _def(113, "Total (Black/Small)"),
    _def(114, "Total 1 (2-Sided)"),
    _def(115, "Total 2 (2-Sided)", confirmed=False),
    _def(116, "Large (2-Sided)"),
    _def(117, "Small (2-Sided)"),
    _def(118, "Total (Single Color 1)"),
    _def(119, "Total (Single Color 2)", confirmed=False),
    _def(120, "Total (Full Color/Large)", confirmed=False),
    _def(121, "Total (Full Color/Small)", confirmed=False),
    _def(122, "Total (Full Color + Single Color/Large)"),
    _def(123, "Total (Full Color + Single Color/Small)"),
    _def(124, "Total (Full Color + Single Color 2)"),
    _def(125, "Total (Full Color + Single Color 1)", confirmed=False),
    _def(127, "Total A2"),
    _def(133, "Total A (Black 2)"),
    _def(148, "Total A (Full Color + Single Color 2)"),
    _def(201, "Copy (Total 1)"),
    _def(202, "Copy (Total 2)"),
    _def(203, "Copy (Large)"),
    _def(204, "Copy (Small)", confirmed=False),
    _def(221, "Copy (Black 1)", confirmed=False),
    _def(222, "Copy (Black 2)"),
    _def(227, "Copy (Black/Large)", confirmed=False),
    _def(228, "Copy (Black/Small)", confirmed=False),
    _def(229, "Copy (Full Color + Single Color/Large)"),
    _def(230, "Copy (Full Color + Single Color/Small)"),
    _def(231, "Copy (Full Color + Single Color/2)"),
    _def(232, "Copy (Full Color + Single Color/1)"),
    _def(301, "Print (Total 1)"),
    _def(302, "Print (Total 2)", confirmed=False),
    _def(303, "Print (Large)", confirmed=False),
    _def(304, "Print (Small)", confirmed=False),
    _def(313, "Print (Black 1)", confirmed=False),
    _def(314, "Print (Black 2)", confirmed=False),
    _def(319, "Print (Black/Large)", confirmed=False),
    _def(320, "Print (Black/Small)", confirmed=False),
    _def(321, "Print (Full Color + Single Color/Large)"),
    _def(322, "Print (Full Color + Single Color/Small)"),
    _def(324, "Print (Full Color + Single Color/1)"),
    _def(401, "Copy + Print (Full Color/Large)"),
    _def(402, "Copy + Print (Full Color/Small)"),
    _def(403, "Copy + Print (Black/Large)", confirmed=False),
    _def(404, "Copy + Print (Black/Small)", confirmed=False),
    _def(405, "Copy + Print (Black 2)", confirmed=False),
    _def(406, "Copy + Print (Black 1)", confirmed=False),
    _def(407, "Copy + Print (Full Color + Single Color/Large)", confirmed=False),
    _def(408, "Copy + Print (Full Color + Single Color/Small)", confirmed=False),
    _def(471, "Total (Long Sheet)"),
    _def(473, "Total (Black & White/Long Sheet)"),
    _def(475, "Total (Full Color + Single Color/Long Sheet)"),
    _def(501, "Scan (Total 1)"),
    _def(502, "Scan (Total 2)", confirmed=False),
    _def(503, "Scan (Large)"),
    _def(504, "Scan (Small)"),
    _def(505, "Black Scan (Total 1)", confirmed=False),
    _def(506, "Black Scan (Total 2)", confirmed=False),
    _def(507, "Black Scan (Large)"),
    _def(508, "Black Scan (Small)"),
    _def(509, "Color Scan (Total 1)", confirmed=False),
    _def(510, "Color Scan (Total 2)", confirmed=False),
    _def(511, "Color Scan (Large)", confirmed=False),
    _def(512, "Color Scan (Small)", confirmed=False),
    _def(701, "Receive Print (Total 1)"),
    _def(702, "Receive Print (Total 2)"),
    _def(711, "Receive Print (Full Color/Large)"),
    _def(712, "Receive Print (Full Color/Small)"),
    _def(715, "Receive Print (Black/Large)"),
    _def(716, "Receive Print (Black/Small)"),
    _def(725, "Receive Print (Black/Large/2-Sided)"),
    _def(726, "Receive Print (Black/Small/2-Sided)"),
)}

# The Printer MIB's own lifetime count, reported beside the Canon IDs. It can differ from 101
# (2913 vs 2926 on an iR1643i II): Canon counts some outputs the marker count does not.
LIFE_COUNT_ID = "prtMarkerLifeCount"
LIFE_COUNT_NAME = "Printer MIB lifetime count (prtMarkerLifeCount)"
PRINTER_MIB_TABLE = "printer_mib"
# PrtMarkerCounterUnitTC (RFC 3805)
MARKER_COUNTER_UNITS: Dict[int, str] = {3: "tenThousandthsOfInches", 4: "micrometers", 5: "characters",
                                        6: "lines", 7: "impressions", 8: "sheets", 9: "dotRow", 11: "hours",
                                        16: "feet", 17: "meters"}

# Canon tables, in the order their values are preferred when several carry the same ID.
TABLES: Tuple[str, ...] = ("all", "display", "named")
# Tables indexed by the Canon counter ID (where service-mode counters are read).
ID_TABLES: Tuple[str, ...] = ("all", "display")

# One walk reads all three layouts side by side; see read_device.
WALK_COLUMNS: Dict[str, str] = {
    "display_code": oids.CANON_DISPLAY_COUNTER_CODE,
    "display_name": oids.CANON_DISPLAY_COUNTER_NAME,
    "display_value": oids.CANON_DISPLAY_COUNTER_VALUE,
    "all_code": oids.CANON_ALL_COUNTER_CODE,
    "all_name": oids.CANON_ALL_COUNTER_NAME,
    "all_value": oids.CANON_ALL_COUNTER_VALUE,
    "named_name": oids.CANON_NAMED_COUNTER_NAME,
    "named_value": oids.CANON_NAMED_COUNTER_VALUE,
}

# One GET: what identifies the device (classify) plus the Printer MIB life count and its unit.
CAPTURE_GET_OIDS: List[str] = [
    oids.SYS_DESCR, oids.SYS_OBJECT_ID, oids.HR_DEVICE_TYPE_1, oids.HR_DEVICE_DESCR_1, oids.PRT_GENERAL_SERIAL_1,
    oids.PRT_MARKER_COUNTER_UNIT_1, oids.PRT_MARKER_LIFE_COUNT_1, oids.CANON_PRODUCT_NAME, oids.CANON_SERIAL,
    oids.CANON_SERIAL_DEVICE_NUMBER, oids.PRT_GENERAL_PRINTER_NAME_1, oids.PRT_SUPPLIES_DESCRIPTION_1_1,
    oids.PRT_INPUT_NAME_1_1, oids.SYS_NAME, oids.SYS_LOCATION,
]   # PRT_GENERAL_PRINTER_NAME_1 .. PRT_INPUT_NAME_1_1: Printer-MIB tables that mark a printer (device/identity.py
#     PRINTER_MIB_PROBES); sysName/sysLocation: the device's name and location for the report's summary

CANON_PROTOCOL_HINT = ("EMC reads some counters only over the Canon protocol (UDP 47545, device setting "
                       "'Dedicated Port Settings' On); this collection reads SNMP only.")

_MAX_LABEL_ID = 100   # an unknown label becomes the counter id; keep it short enough for the store


# Normalised label -> ID for unnumbered name/value rows. Only confirmed catalog pairs: a label seen
# on a real device but missing here keeps its name and ``id: null``, never a guessed number.
LABEL_INDEX: Dict[str, int] = {normalise_label(d.name): d.id for d in CATALOG.values() if d.confirmed}
# Every catalog label (confirmed or not) -> ID, to name device-numbered rows that come without a label.
ALL_LABELS: Dict[str, int] = {normalise_label(d.name): d.id for d in CATALOG.values()}


def id_for_label(label: Optional[str]) -> Optional[int]:
    if not label:
        return None
    return LABEL_INDEX.get(normalise_label(label))


def catalog_entry(counter_id: CounterId) -> Optional[CounterDef]:
    return CATALOG.get(counter_id) if isinstance(counter_id, int) else None


# --- selection -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Selection:
    """What the user asked for: everything, or IDs and categories; plus service-mode IDs."""

    everything: bool = True
    ids: frozenset = frozenset()
    categories: frozenset = frozenset()
    service_mode: frozenset = frozenset()


def parse_selection(items: Optional[Iterable[Any]], service_mode: Optional[Iterable[Any]] = None) -> Selection:
    """Validate ``counters`` and ``service_mode_counters`` before any packet is sent."""
    everything, ids, cats = False, set(), set()
    for raw in list(items or ["all"]):
        text = str(raw).strip()
        low = text.lower()
        if low in ("all", "default"):
            everything = True
        elif text.isdigit() and not isinstance(raw, bool):
            ids.add(int(text))
        elif low in (LIFE_COUNT_ID.lower(), "life_count"):
            ids.add(LIFE_COUNT_ID)
        elif CATEGORY_ALIASES.get(low, low) in CATEGORIES:
            cats.add(CATEGORY_ALIASES.get(low, low))
        else:
            raise CanonError("invalid_argument", "counters: %r is not 'all', a counter ID (e.g. 101), %s or "
                             "one of the categories %s" % (raw, LIFE_COUNT_ID, ", ".join(CATEGORIES)))
    service = set()
    for raw in list(service_mode or []):
        try:
            number = int(str(raw).strip())
        except ValueError:
            number = -1
        if isinstance(raw, bool) or number < 0:
            raise CanonError("invalid_argument", "service_mode_counters: %r is not a counter number" % (raw,))
        service.add(number)
    return Selection(everything, frozenset(ids), frozenset(cats), frozenset(service))


# --- reading the tables (pure) ----------------------------------------------------------------------

@dataclass
class RawCounter:
    """One row of one Canon table as the device gave it."""

    table: str
    index: Tuple[int, ...]
    code: Any
    name: Optional[str]
    value: Any


def rows_from_walk(walked: Mapping[Tuple[int, ...], Mapping[str, Any]]) -> List[RawCounter]:
    """Split the side-by-side walk of WALK_COLUMNS into rows per table (rows without a value are skipped)."""
    rows: List[RawCounter] = []
    for index, columns in walked.items():
        for table in ("display", "all", "named"):
            value = columns.get(table + "_value")
            if value is None or value is NO_SUCH:
                continue
            rows.append(RawCounter(table, tuple(index), columns.get(table + "_code"),
                                   to_text(columns.get(table + "_name")), value))
    return rows


def _code_number(code: Any) -> Optional[int]:
    """The display/all code column is an OCTET STRING ("101") on some models, an INTEGER on others."""
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        return code
    text = to_text(code)
    if text and text.strip().isdigit():
        return int(text.strip())
    return None


def _label_key(label: Optional[str], index: Tuple[int, ...]) -> str:
    """The stable key of a counter the device does not number: its label (never all digits, which
    would read as a Canon ID), or its table position when the device gives no label."""
    text = (label or "").strip()
    if not text:
        return "named:" + ".".join(str(i) for i in index)
    if text.isdigit():
        text = "named:" + text
    return text[:_MAX_LABEL_ID]


@dataclass
class _Merged:
    id: CounterId
    values: Dict[str, int] = field(default_factory=dict)
    names: Dict[str, str] = field(default_factory=dict)


def _unit_for(category: str, known: Optional[CounterDef]) -> str:
    if known is not None:
        return known.unit
    return UNIT_SCANS if category == "scan" else UNIT_IMPRESSIONS


def merge_counters(rows: Sequence[RawCounter], life_count: Any = None, life_unit: Any = None
                   ) -> Tuple[List[Dict[str, Any]], List[str]]:
    """One reading per counter from the rows of all three Canon tables; returns (readings, warnings).

    Real iR-ADV devices publish the same counter in up to three tables: the ID-keyed "all" table
    (1.4), the short display table (1.3) and the name/value table (2.1, by position, names only).
    The rules (issue 11, docs/counters.md):

    * a counter the device numbers (tables 1.4/1.3) keeps the device's ID, always; when both ID
      tables carry it the 1.4 value is used and a disagreement is a warning;
    * a name/value row merges with the numbered reading of the same name (and normally the same
      value; a different value is a warning, the numbered value is kept);
    * a name/value row nobody numbers gets an ID only from an exact, confirmed catalog label whose
      ID the device does not use for another counter (``id_source: catalog``); otherwise it keeps
      its own name with ``id: null`` and a ``key`` (its label) that identifies it in the store;
    * names and categories follow the device's own label; the catalog names a numbered row only
      when the device gives no label.
    """
    warnings: List[str] = []
    numbered: Dict[CounterId, _Merged] = {}
    named_rows: List[RawCounter] = []
    for row in rows:
        if not isinstance(row.value, int) or isinstance(row.value, bool) or row.value < 0:
            warnings.append("%s counter table row %s has a non-numeric value %r; skipped"
                            % (row.table, ".".join(map(str, row.index)), row.value))
            continue
        if row.value > MAX_READING:
            # a Counter64 of 2^63 or more fits no store (BIGINT): this reading is refused, the
            # device's other readings and every other device's are kept
            warnings.append("%s counter table row %s has value %d, beyond the largest storable reading "
                            "(2^63-1); skipped" % (row.table, ".".join(map(str, row.index)), row.value))
            continue
        if row.table == "named":
            named_rows.append(row)
            continue
        cid: CounterId
        if len(row.index) == 1:
            cid = row.index[0]
        else:
            cid = "%s:%s" % (row.table, ".".join(map(str, row.index)))
        code = _code_number(row.code)
        if code is not None and isinstance(cid, int) and code != cid:
            warnings.append("%s counter table row %d gives code %d; the row index is used as the counter ID"
                            % (row.table, cid, code))
        entry = numbered.setdefault(cid, _Merged(cid))
        if row.table in entry.values:
            if entry.values[row.table] != row.value:
                warnings.append("counter %s appears twice in the %s table (%d and %d); the first is kept"
                                % (cid, row.table, entry.values[row.table], row.value))
            continue
        entry.values[row.table] = int(row.value)
        if row.name and row.name.strip():
            entry.names[row.table] = row.name.strip()

    readings: List[Dict[str, Any]] = []
    by_name: Dict[str, Dict[str, Any]] = {}
    for cid in sorted(numbered, key=_sort_key):
        entry = numbered[cid]
        tables = [t for t in ID_TABLES if t in entry.values]
        value = entry.values[tables[0]]
        if any(v != value for v in entry.values.values()):
            warnings.append("counter %s differs between tables (%s); the %s table's value %d is used" % (
                cid, ", ".join("%s=%d" % (t, entry.values[t]) for t in tables), tables[0], value))
        device_name = next((entry.names[t] for t in tables if t in entry.names), None)
        known = catalog_entry(cid)
        if known and device_name and normalise_label(device_name) != normalise_label(known.name):
            warnings.append("the device calls counter %s %r where the catalog has %r; the device's name and "
                            "ID are used" % (cid, device_name, known.name))
        name = device_name or (known.name if known else str(cid))
        category = category_for_label(device_name) if device_name else (known.category if known else "other")
        reading = {"id": cid, "key": str(cid), "name": name, "category": category,
                   "unit": _unit_for(category, known if not device_name or category == known_category(known)
                                     else None),
                   "value": value, "tables": tables, "id_source": "device"}
        readings.append(reading)
        if device_name or known:
            by_name.setdefault(normalise_label(name), reading)

    seen: Dict[str, Dict[str, Any]] = {}
    for row in named_rows:
        label = (row.name or "").strip()
        norm = normalise_label(label) if label else ""
        position = ".".join(map(str, row.index))
        if norm and norm in seen:
            first = seen[norm]
            if first["value"] != row.value:
                warnings.append("the name/value table lists %r twice (%d and %d, row %s); the first is kept"
                                % (label, first["value"], row.value, position))
            continue
        match = by_name.get(norm) if norm else None
        if match is not None:
            if "named" not in match["tables"]:
                match["tables"].append("named")
            if match["value"] != row.value:
                warnings.append("counter %s (%s) is %d in the %s table but %d in the name/value table (row %s); "
                                "the %s value is used" % (match["id"], match["name"], match["value"],
                                                          match["tables"][0], row.value, position,
                                                          match["tables"][0]))
            seen[norm] = match
            continue
        cid = LABEL_INDEX.get(norm) if norm else None
        if cid is not None and cid in numbered:
            warnings.append("name/value row %s %r matches catalog counter %d, but the device numbers another "
                            "counter %d; it is kept without an ID" % (position, label, cid, cid))
            cid = None
        category = category_for_label(label) if label else "other"
        reading = {"id": cid, "key": str(cid) if cid is not None else _label_key(label, row.index),
                   "name": label or _label_key(label, row.index), "category": category,
                   "unit": _unit_for(category, catalog_entry(cid) if cid is not None else None),
                   "value": int(row.value), "tables": ["named"],
                   "id_source": "catalog" if cid is not None else None}
        readings.append(reading)
        if norm:
            seen[norm] = reading
    readings.sort(key=lambda r: _sort_key(r["id"] if r["id"] is not None else r["key"]))
    if isinstance(life_count, int) and not isinstance(life_count, bool) and life_count >= 0:
        unit = MARKER_COUNTER_UNITS.get(life_unit, UNIT_IMPRESSIONS) if isinstance(life_unit, int) \
            else UNIT_IMPRESSIONS
        readings.append({"id": LIFE_COUNT_ID, "key": LIFE_COUNT_ID, "name": LIFE_COUNT_NAME, "category": "total",
                         "unit": unit, "value": int(life_count), "tables": [PRINTER_MIB_TABLE],
                         "id_source": "standard"})
    return readings, warnings


def known_category(known: Optional[CounterDef]) -> Optional[str]:
    return known.category if known is not None else None


def _sort_key(cid: CounterId) -> Tuple[int, int, str]:
    return (0, cid, "") if isinstance(cid, int) else (1, 0, str(cid).casefold())


def _describe(cid: CounterId) -> str:
    known = catalog_entry(cid)
    return "%s (%s)" % (cid, known.name) if known else str(cid)


def select_counters(counters: Sequence[Dict[str, Any]], selection: Selection
                    ) -> Tuple[List[Dict[str, Any]], List[str]]:
    """Keep what the selection asks for; warn about requested IDs the device does not publish."""
    warnings: List[str] = []
    by_id = {c["id"]: c for c in counters if c.get("id") is not None}
    chosen: List[Dict[str, Any]] = []
    for c in counters:
        wanted = (selection.everything or c["id"] in selection.ids or c["category"] in selection.categories
                  or (c["id"] in selection.service_mode and any(t in ID_TABLES for t in c["tables"])))
        if wanted:
            chosen.append(c)
    missing = sorted((i for i in selection.ids if i not in by_id), key=_sort_key)
    if missing:
        warnings.append("counter%s %s not published over SNMP by this device. %s" % (
            "s" if len(missing) > 1 else "", ", ".join(_describe(i) for i in missing),
            CANON_PROTOCOL_HINT))
    absent = sorted(i for i in selection.service_mode
                    if not any(t in ID_TABLES for t in by_id.get(i, {}).get("tables", [])))
    if absent:
        warnings.append("service-mode counter%s %s not in the device's display or all-counter table (check the "
                        "model supports service-mode counters and the numbers). %s" % (
                            "s" if len(absent) > 1 else "", ", ".join(str(i) for i in absent),
                            CANON_PROTOCOL_HINT))
    return chosen, warnings


# --- capture of one device ---------------------------------------------------------------------------

def utc_text(moment: datetime) -> str:
    """ISO-8601 UTC with a Z, to the microsecond when it has one."""
    moment = moment.astimezone(timezone.utc)
    text = moment.replace(tzinfo=None).isoformat(timespec="microseconds" if moment.microsecond else "seconds")
    return text + "Z"


def parse_capture_time(value: Optional[str]) -> Optional[datetime]:
    """``capture_time`` as an aware UTC datetime; a time without an offset is refused (ambiguous)."""
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CanonError("invalid_argument", "capture_time %r is not an ISO-8601 date-time" % (value,))
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise CanonError("invalid_argument", "capture_time %r has no UTC offset; write e.g. %sZ or %s+01:00"
                         % (value, text, text))
    return moment.astimezone(timezone.utc)


def interpret(values: Mapping[str, Any], walked: Mapping[Tuple[int, ...], Mapping[str, Any]]) -> Dict[str, Any]:
    """Identity and all counters of one device from its raw GET and walk answers (pure)."""
    identity = classify(dict(values))
    counters, warnings = merge_counters(rows_from_walk(walked), values.get(oids.PRT_MARKER_LIFE_COUNT_1),
                                        values.get(oids.PRT_MARKER_COUNTER_UNIT_1))
    return {"identity": identity, "counters": counters, "warnings": warnings}


async def read_device(client: SnmpReader, target: SnmpTarget) -> Dict[str, Any]:
    """Two SNMP operations, run together: one GET, one side-by-side walk of the three counter tables."""
    answers = await asyncio.gather(client.get(target, CAPTURE_GET_OIDS),
                                   client.walk_columns(target, WALK_COLUMNS), return_exceptions=True)
    for answer in answers:      # both finished: nothing is left running for this device
        if isinstance(answer, BaseException):
            raise answer
    values, walked = answers
    read = interpret(values, walked)
    require_printer(read["identity"], target)
    if not read["counters"]:
        raise CanonError("counters_unavailable", "%s publishes no counter over SNMP (no Canon counter table, "
                         "no prtMarkerLifeCount)" % target.host, hint=CANON_PROTOCOL_HINT)
    return read


# --- many devices ------------------------------------------------------------------------------------------

@dataclass
class CaptureJob:
    """One device to read: where, how, and the labels its readings are stored with."""

    address: str
    target: Optional[SnmpTarget]
    name: Optional[str] = None
    region: Optional[str] = None
    timezone: Optional[str] = None
    error: Optional[CanonError] = None     # set when the target's options were invalid (nothing is sent)


def _failure(job: CaptureJob, exc: CanonError) -> Dict[str, Any]:
    result: Dict[str, Any] = {"name": job.name, "address": job.address, "region": job.region,
                              "timezone": job.timezone, "failed": True, "error": exc.msg,
                              "error_code": exc.error_code, "warnings": []}
    if exc.hint:
        result["hint"] = exc.hint
    return result


async def capture_one(client: SnmpReader, job: CaptureJob, selection: Selection,
                      capture_time: Optional[datetime] = None,
                      clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> Dict[str, Any]:
    """The per-device result: readings, or the error with its code. Never raises for device problems."""
    if job.error is not None or job.target is None:
        return _failure(job, job.error or CanonError("invalid_argument", "no target"))
    try:
        read = await read_device(client, job.target)
    except CanonError as exc:
        return _failure(job, exc)
    except Exception as exc:  # pylint: disable=broad-except
        # one device's surprise (a malformed answer, a socket error) must not fail the others
        return _failure(job, CanonError("snmp_error", "%s: %s: %s" % (job.target.label, type(exc).__name__, exc)))
    moment = capture_time or clock()
    chosen, select_warnings = select_counters(read["counters"], selection)
    identity = read["identity"]
    return {
        "name": job.name, "address": job.address, "region": job.region, "timezone": job.timezone,
        "failed": False, "serial": identity["serial"], "model": identity["model"], "vendor": identity["vendor"],
        "sys_name": identity["sys_name"], "location": identity["location"],
        "captured_at": utc_text(moment), "counters": chosen,
        "warnings": read["warnings"] + select_warnings + _walk_warnings(client, job.target),
    }


def _walk_warnings(client: Any, target: SnmpTarget) -> List[str]:
    """Walks of this device cut short (row cap, OIDs not increasing): its counter table may be incomplete."""
    notes = getattr(client, "walk_warnings", None)
    return list(notes(target.host)) if callable(notes) else []


async def capture_many(client: SnmpReader, jobs: Sequence[CaptureJob], selection: Selection,
                       concurrency: int = 100, capture_time: Optional[datetime] = None) -> List[Dict[str, Any]]:
    """Read every job with at most ``concurrency`` devices in flight; results in job order.

    ``concurrency`` workers take the next job as they finish one. (A task per job waiting on a
    semaphore cost quadratic time: asyncio's semaphore walks its waiters on every release, about
    ten million checks for 10,000 devices at concurrency 1,000.)"""
    results: List[Dict[str, Any]] = [{} for _unused in jobs]
    queue = iter(enumerate(jobs))

    async def worker() -> None:
        for index, job in queue:          # one shared iterator: each job is taken once
            results[index] = await capture_one(client, job, selection, capture_time)

    workers = min(max(1, int(concurrency)), len(jobs))
    if workers:
        await asyncio.gather(*(worker() for _unused in range(workers)))
    return results


def capture_fleet(jobs: Sequence[CaptureJob], selection: Optional[Selection] = None, concurrency: int = 100,
                  capture_time: Optional[datetime] = None) -> List[Dict[str, Any]]:
    """Capture many devices in one fresh event loop with one SNMP client (pysnmp engines must not
    outlive their loop, so the client is created inside it)."""
    require_pysnmp()
    selection = selection or Selection()
    if not any(j.target is not None and j.error is None for j in jobs):
        return [_failure(j, j.error or CanonError("invalid_argument", "no target")) for j in jobs]

    async def main() -> List[Dict[str, Any]]:
        async with SnmpClient() as client:
            return await capture_many(client, jobs, selection, concurrency, capture_time)

    return asyncio.run(main())


# --- the store -----------------------------------------------------------------------------------------

def store_captures(results: Sequence[Dict[str, Any]], region: Optional[str] = None,
                   tz_name: Optional[str] = None) -> Tuple[List[Dict[str, Any]], Dict[str, List[str]]]:
    """Captures in the counter store's format for the successful results, and per-result warnings.

    A device without a serial cannot be stored (the serial is its identity); a serial seen twice in
    one run (two inventory names for one device) is stored once.
    """
    captures: List[Dict[str, Any]] = []
    notes: Dict[str, List[str]] = {}
    seen: Dict[str, str] = {}
    for result in results:
        if result.get("failed"):
            continue
        key = result.get("name") or result["address"]
        serial = result.get("serial")
        if not serial:
            notes.setdefault(key, []).append("the device reports no serial number, so its readings cannot be "
                                             "stored (the serial identifies a device in the counter history)")
            continue
        if serial in seen:
            notes.setdefault(key, []).append("same device (serial %s) as %s; its readings are stored once"
                                             % (serial, seen[serial]))
            continue
        seen[serial] = key
        captures.append({
            "serial": serial, "model": result.get("model"), "address": result.get("address"),
            "name": result.get("sys_name"), "location": result.get("location"),
            "region": result.get("region") or region, "timezone": result.get("timezone") or tz_name,
            "captured_at": result["captured_at"],
            "counters": [{"id": c["id"] if c.get("id") is not None else c.get("key"), "name": c["name"], "category": c["category"], "value": c["value"],
                          "unit": c["unit"], "table": c["tables"][0]} for c in result["counters"]],
        })
    return captures, notes


def summarise(results: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    failed = [r for r in results if r.get("failed")]
    by_code: Dict[str, int] = {}
    for r in failed:
        by_code[r["error_code"]] = by_code.get(r["error_code"], 0) + 1
    return {
        "targets": len(results),
        "succeeded": len(results) - len(failed),
        "failed": len(failed),
        "failed_by_error_code": dict(sorted(by_code.items())),
        "readings": sum(len(r.get("counters") or []) for r in results if not r.get("failed")),
        "with_warnings": sum(1 for r in results if r.get("warnings")),
    }
