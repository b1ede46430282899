"""One simulated printer: profile data + mutable state, published as an SNMP MIB.

State changes (pages printed, toner low, jam, sleep, power, restart) go through methods here,
which keep the MIB consistent: counters, supplies, alerts, hrDeviceStatus,
hrPrinterDetectedErrorState and the console text always tell the same story.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

from . import counters as counter_model
from .mib import (COUNTER32, GAUGE32, INTEGER, IP_ADDRESS, NO_ERROR, OBJECT_IDENTIFIER, OCTET_STRING,
                  TIMETICKS, WRONG_TYPE, WRONG_VALUE, Mib, Value, make_value, oid)
from .snmp.endpoint import UsmUser

# --- OIDs the model publishes (the simulator keeps its own list: it never imports plugins/) ----
SYS = "1.3.6.1.2.1.1"
IF_TABLE = "1.3.6.1.2.1.2.2.1"
IP_ADDR_TABLE = "1.3.6.1.2.1.4.20.1"
HR_DEVICE = "1.3.6.1.2.1.25.3.2.1"
HR_PRINTER = "1.3.6.1.2.1.25.3.5.1"
PRINTER_MIB = "1.3.6.1.2.1.43"                 # RFC 3805; the table arcs below hang off it
PRT_GENERAL = PRINTER_MIB + ".5.1.1"
PRT_COVER = PRINTER_MIB + ".6.1.1"
PRT_INPUT = PRINTER_MIB + ".8.2.1"
PRT_MARKER = PRINTER_MIB + ".10" + ".2.1"       # prtMarkerEntry (prtMarkerTable is arc 10)
PRT_SUPPLIES = PRINTER_MIB + ".11.1.1"
PRT_COLORANT = PRINTER_MIB + ".12.1.1"
PRT_CONSOLE = PRINTER_MIB + ".16.5.1"
PRT_ALERT = PRINTER_MIB + ".18.1.1"
FIN_SUPPLY = PRINTER_MIB + ".31.1.1"            # RFC 3806 finSupplyEntry
PPM_PRINTER_NAME = "1.3.6.1.4.1.2699.1.2.1.2.1.1.2.1"
CANON_PRODUCT_NAME = "1.3.6.1.4.1.1602.1.1.1.1.0"
CANON_PRODUCT_VERSION = "1.3.6.1.4.1.1602.1.1.1.4.0"
CANON_SERIAL = "1.3.6.1.4.1.1602.1.2.1.4.0"
CANON_SERIAL_TABLE = "1.3.6.1.4.1.1602.1.2.1.8.1.3.1.1"
CANON_DISPLAY = "1.3.6.1.4.1.1602.1.11.1.3.1"
CANON_ALL = "1.3.6.1.4.1.1602.1.11.1.4.1"
CANON_NAMED = "1.3.6.1.4.1.1602.1.11.2.1.1"
HR_DEVICE_PRINTER = "1.3.6.1.2.1.25.3.1.5"
CANON_ENTERPRISE = 1602

# hrPrinterDetectedErrorState bits (RFC 3805 errata): bit 0 is the MSB of the first octet.
ERROR_BITS = {"lowPaper": 0, "noPaper": 1, "lowToner": 2, "noToner": 3, "doorOpen": 4, "jammed": 5,
              "offline": 6, "serviceRequested": 7, "inputTrayMissing": 8, "outputTrayMissing": 9,
              "markerSupplyMissing": 10, "outputNearFull": 11, "outputFull": 12, "inputTrayEmpty": 13,
              "overduePreventMaint": 14}

# hrDeviceStatus
HR_RUNNING, HR_WARNING, HR_DOWN = 2, 3, 5

# prtAlert enums (RFC 3805): severity, training level, group, code.
SEV_CRITICAL, SEV_WARNING = 3, 4
TRAIN_OTHER, TRAIN_UNTRAINED, TRAIN_FIELD_SERVICE, TRAIN_MANAGEMENT = 1, 3, 5, 6
GROUP_GENERAL, GROUP_INPUT, GROUP_SUPPLIES, GROUP_MEDIA_PATH = 5, 8, 11, 13
CODE_OTHER, CODE_JAM, CODE_TONER_EMPTY, CODE_TONER_ALMOST_EMPTY, CODE_PAPER_EMPTY = 1, 8, 1101, 1104, 808

COLORANT_NAMES = {1: "Black", 2: "Cyan", 3: "Magenta", 4: "Yellow"}


@dataclass
class Alert:
    kind: str                 # toner_low | toner_empty | paper_jam | paper_empty | service_call | custom
    severity: int
    training: int
    group: int
    group_index: int
    code: int
    description: str
    raised_at: float = field(default_factory=time.time)
    error_bits: tuple = ()
    device_status: int = HR_WARNING


class SimDevice:
    """A simulated device. Implements simulator.snmp.endpoint.SnmpEndpoint."""

    def __init__(self, address: str, profile: Dict[str, Any], index: int = 0, seed: int = 0,
                 overrides: Optional[Dict[str, Any]] = None) -> None:
        overrides = overrides or {}
        self.address = address
        self.profile = profile
        self.index = index
        rng = random.Random("%s/%s/%s" % (seed, profile["id"], index))
        # a device served from a capture (simulator/capture.py) answers what the capture holds
        self.capture_objects = _capture_objects(profile)
        self.serial = overrides.get("serial") or _fill_format(profile.get("serial_format", "SIM#####"), rng)
        self.mac = overrides.get("mac") or _make_mac(profile.get("mac_oui", "02:00:00"), rng)
        if self.capture_objects is not None:
            from .capture import capture_mac, capture_serial
            self.serial = capture_serial(self.capture_objects) or self.serial
            self.mac = capture_mac(self.capture_objects) or self.mac
        snmp = profile.get("snmp", {})
        self.versions = [str(v) for v in overrides.get("snmp_versions", snmp.get("versions", ["1"]))]
        self.communities: Dict[str, str] = dict(overrides.get("communities", snmp.get("communities", {})))
        users = overrides.get("v3_users", snmp.get("v3_users", []))
        self.v3_users: Dict[str, UsmUser] = {}
        if "3" in self.versions:
            for u in users:
                if str(u.get("auth_protocol", "none")).lower() == "sha224":
                    raise ValueError("%s: SNMPv3 user %r uses SHA-224, which Canon devices do not support"
                                     % (address, u.get("name")))
                self.v3_users[u["name"]] = UsmUser(
                    name=u["name"], auth_protocol=str(u.get("auth_protocol", "none")).lower(),
                    auth_password=u.get("auth_password"), priv_protocol=str(u.get("priv_protocol", "none")).lower(),
                    priv_password=u.get("priv_password"), access=u.get("access", "ro"))
        self.reject_snmp_in_sleep = bool(overrides.get("reject_snmp_in_sleep", snmp.get("reject_in_sleep", True)))
        self.name_max: Dict[str, int] = dict(snmp.get("name_max", {}))
        self.restart_seconds = float(overrides.get("restart_seconds", profile.get("restart_seconds", 4)))
        self.engine_id = b"\x80\x00" + CANON_ENTERPRISE.to_bytes(2, "big") + b"\x03" + bytes.fromhex(
            self.mac.replace(":", ""))
        self.engine_boots = 1
        self._boot_monotonic = time.monotonic()
        self._uptime_base = int(profile.get("uptime_ticks", 0))
        self.powered = True
        self.asleep = False
        self._down_until = 0.0
        self.stats = {"requests": 0, "dropped": 0, "by_version": {}}
        self.sys_name = overrides.get("sys_name", profile.get("model", ""))
        self.sys_location = overrides.get("sys_location", "")
        self.sys_contact = overrides.get("sys_contact", "")
        self.counters = counter_model.CounterModel(bool(profile.get("color")), profile.get("max_size") == "A3")
        cprof = profile.get("counters", {}) or {}
        self.counters.life_count_offset = int(cprof.get("life_count_offset", 0))
        if overrides.get("counters_zero"):
            pass
        else:
            self.counters.seed(rng, cprof.get("total_range", []), cprof.get("mix", {}))
        self.supplies: List[Dict[str, Any]] = [dict(s) for s in profile.get("supplies", []) or []]
        for s in self.supplies:
            s.setdefault("initial", s.get("level"))
        self.inputs: List[Dict[str, Any]] = [dict(i) for i in profile.get("inputs", []) or []]
        self.covers: List[Dict[str, Any]] = [dict(c) for c in profile.get("covers", []) or []]
        self.alerts: List[Alert] = []
        self._next_alert_index = 1
        self.console_ready = profile.get("console")
        self.mib = Mib()
        self._build_mib(overrides.get("objects", {}))
        self.extensions: Dict[str, Any] = {}   # other subsystems (Remote UI ...) attach state here
        # called after every boot (end of a restart, power on): settings that wait for a restart apply here
        self.boot_hooks: List[Callable[[], None]] = []

    # ------------------------------------------------------------------ SnmpEndpoint --------
    def engine_time(self) -> int:
        self._tick()
        return int(time.monotonic() - self._boot_monotonic)

    def snmp_reachable(self) -> bool:
        self._tick()
        if not self.powered or self._down_until:
            return False
        if self.asleep and self.reject_snmp_in_sleep:
            return False
        return True

    def community_access(self, version: int, community: bytes) -> Optional[str]:
        wanted = "1" if version == 0 else "2c"
        if wanted not in self.versions:
            return None
        try:
            return self.communities.get(community.decode("utf-8"))
        except UnicodeDecodeError:
            return None

    def note_request(self, version: int, pdu_type: int, ok: bool) -> None:
        self.stats["requests"] += 1
        if not ok:
            self.stats["dropped"] += 1
        key = {0: "v1", 1: "v2c", 3: "v3"}.get(version, str(version))
        self.stats["by_version"][key] = self.stats["by_version"].get(key, 0) + 1

    # ------------------------------------------------------------------ time / power --------
    def _tick(self) -> None:
        if self._down_until and time.monotonic() >= self._down_until:
            self._down_until = 0.0
            self._boot()

    def _boot(self) -> None:
        self.engine_boots += 1
        self._boot_monotonic = time.monotonic()
        self._uptime_base = 0
        self.asleep = False
        self._refresh_status()
        for hook in self.boot_hooks:
            hook()

    def uptime_ticks(self) -> int:
        return (self._uptime_base + int((time.monotonic() - self._boot_monotonic) * 100)) & 0xFFFFFFFF

    def restart(self, seconds: Optional[float] = None) -> None:
        """Unreachable for the restart time, then back with a new boot count and uptime 0."""
        self._down_until = time.monotonic() + (self.restart_seconds if seconds is None else float(seconds))

    @property
    def restarting(self) -> bool:
        self._tick()
        return bool(self._down_until)

    def set_power(self, on: bool) -> None:
        if on and not self.powered:
            self.powered = True
            self._boot()
        elif not on:
            self.powered = False
            self._down_until = 0.0

    def set_sleep(self, on: bool, reject_snmp: Optional[bool] = None) -> None:
        self.asleep = bool(on)
        if reject_snmp is not None:
            self.reject_snmp_in_sleep = bool(reject_snmp)
        self._refresh_status()

    # ------------------------------------------------------------------ jobs --------------
    def print_pages(self, pages: int, size: str = "A4", color: bool = False, sides: int = 1,
                    function: str = "print") -> Dict[str, Any]:
        before = self.counters.values()
        self.counters.output(int(pages), size=size, color=bool(color), sides=int(sides), function=function)
        self._consume_toner(int(pages), bool(color))
        self.asleep = False
        self._publish_counters()
        after = self.counters.values()
        return {cid: after[cid] - before[cid] for cid in after if after[cid] != before[cid]}

    def scan_pages(self, pages: int, size: str = "A4", color: bool = False) -> Dict[str, Any]:
        before = self.counters.values()
        self.counters.scan(int(pages), size=size, color=bool(color))
        self.asleep = False
        self._publish_counters()
        after = self.counters.values()
        return {cid: after[cid] - before[cid] for cid in after if after[cid] != before[cid]}

    def _consume_toner(self, pages: int, color: bool) -> None:
        """About 1% of a toner per 500 pages; enough to move levels in long scenarios."""
        for s in self.supplies:
            if s.get("type") == 3 and (color or s.get("colorant") == 1) and s.get("level", -2) > 0:
                s["_frac"] = s.get("_frac", 0.0) + pages / 500.0
                whole = int(s["_frac"])
                if whole:
                    s["_frac"] -= whole
                    s["level"] = max(0, s["level"] - whole)
        self._publish_supplies()

    # ------------------------------------------------------------------ supplies / alerts ----
    def find_supply(self, colorant: Optional[str] = None, index: Optional[int] = None,
                    supply_type: Optional[int] = None) -> int:
        """1-based supply row for a colour name ('black') or an explicit row index."""
        if index is not None:
            if not 1 <= int(index) <= len(self.supplies):
                raise ValueError("no supply row %s" % index)
            return int(index)
        names = [c.lower() for c in self.profile.get("colorants", [])]
        for i, s in enumerate(self.supplies, 1):
            if supply_type is not None and s.get("type") != supply_type:
                continue
            if colorant is None:
                return i
            ci = s.get("colorant", 0)
            if ci and ci <= len(names) and names[ci - 1] == colorant.lower() and s.get("type", 3) == 3:
                return i
        raise ValueError("no supply for colorant %r" % (colorant,))

    def set_supply_level(self, level: int, colorant: Optional[str] = None, index: Optional[int] = None) -> int:
        row = self.find_supply(colorant, index)
        self.supplies[row - 1]["level"] = int(level)
        self._publish_supplies()
        return row

    def raise_alert(self, kind: str, colorant: Optional[str] = None, code: Optional[str] = None,
                    description: Optional[str] = None, tray: Optional[int] = None) -> Dict[str, Any]:
        """Raise one of the scenario alerts; returns the alert row."""
        if kind in ("toner_low", "toner_empty"):
            colorant = colorant or "black"
            row = self.find_supply(colorant)
            name = COLORANT_NAMES.get(self.supplies[row - 1].get("colorant", 1), colorant.title())
            if kind == "toner_low":
                self.supplies[row - 1]["level"] = min(self.supplies[row - 1].get("level", 5), 5)
                alert = Alert(kind, SEV_WARNING, TRAIN_UNTRAINED, GROUP_SUPPLIES, row, CODE_TONER_ALMOST_EMPTY,
                              description or "Prepare a replacement toner cartridge. (%s)" % name,
                              error_bits=("lowToner",), device_status=HR_WARNING)
            else:
                self.supplies[row - 1]["level"] = 0
                alert = Alert(kind, SEV_CRITICAL, TRAIN_UNTRAINED, GROUP_SUPPLIES, row, CODE_TONER_EMPTY,
                              description or "The %s toner is out. Replace the toner cartridge." % name,
                              error_bits=("noToner",), device_status=HR_DOWN)
            self._publish_supplies()
        elif kind == "paper_jam":
            alert = Alert(kind, SEV_CRITICAL, TRAIN_UNTRAINED, GROUP_MEDIA_PATH, 1, CODE_JAM,
                          description or "Paper jammed. Remove the jammed paper.",
                          error_bits=("jammed",), device_status=HR_DOWN)
        elif kind == "paper_empty":
            tray = int(tray or 1)
            alert = Alert(kind, SEV_WARNING, TRAIN_UNTRAINED, GROUP_INPUT, tray, CODE_PAPER_EMPTY,
                          description or "Load paper. (Drawer %d)" % tray,
                          error_bits=("noPaper", "inputTrayEmpty"), device_status=HR_WARNING)
            if 1 <= tray <= len(self.inputs):
                self.inputs[tray - 1]["level"] = 0
        elif kind == "service_call":
            alert = Alert(kind, SEV_CRITICAL, TRAIN_FIELD_SERVICE, GROUP_GENERAL, 1, CODE_OTHER,
                          description or "Call service representative. (%s)" % (code or "E000007-0000"),
                          error_bits=("serviceRequested",), device_status=HR_DOWN)
        else:
            raise ValueError("unknown alert kind %r (toner_low, toner_empty, paper_jam, paper_empty, "
                             "service_call)" % (kind,))
        # one alert per kind and group index: raising it again just refreshes the text
        self.alerts = [a for a in self.alerts if not (a.kind == alert.kind and a.group_index == alert.group_index)]
        self.alerts.append(alert)
        self._publish_alerts()
        return self._alert_dict(alert, len(self.alerts))

    def clear_alert(self, kind: Optional[str] = None) -> int:
        """Clear alerts of one kind (or all); restores supply/tray levels they had changed."""
        doomed = [a for a in self.alerts if kind in (None, "all") or a.kind == kind]
        for a in doomed:
            if a.kind in ("toner_low", "toner_empty") and 1 <= a.group_index <= len(self.supplies):
                s = self.supplies[a.group_index - 1]
                s["level"] = s.get("initial", s.get("level"))
            if a.kind == "paper_empty" and 1 <= a.group_index <= len(self.inputs):
                self.inputs[a.group_index - 1]["level"] = -3
        self.alerts = [a for a in self.alerts if a not in doomed]
        self._publish_supplies()
        self._publish_alerts()
        return len(doomed)

    # ------------------------------------------------------------------ MIB -----------------
    def _build_mib(self, object_overrides: Dict[str, Any]) -> None:
        p, m = self.profile, self.mib
        if self.capture_objects is not None:
            self._build_captured_mib()
            return
        m.put(SYS + ".1.0", Value(OCTET_STRING, p["sys_descr"].encode()))
        m.put(SYS + ".2.0", Value(OBJECT_IDENTIFIER, oid(p["sys_object_id"])))
        m.put_dynamic(SYS + ".3.0", lambda: Value(TIMETICKS, self.uptime_ticks()))
        m.put(SYS + ".7.0", Value(INTEGER, int(p.get("sys_services", 72))))
        for col, attr, key in ((4, "sys_contact", "sysContact"), (5, "sys_name", "sysName"),
                               (6, "sys_location", "sysLocation")):
            self._publish_writable_string(SYS + ".%d.0" % col, attr, key)
        # IF-MIB: one Ethernet interface with the device MAC
        mac = bytes.fromhex(self.mac.replace(":", ""))
        m.put(IF_TABLE + ".1.1", Value(INTEGER, 1))
        m.put(IF_TABLE + ".2.1", Value(OCTET_STRING, b"eth0"))
        m.put(IF_TABLE + ".3.1", Value(INTEGER, 6))
        m.put(IF_TABLE + ".5.1", Value(GAUGE32, 1000000000))
        m.put(IF_TABLE + ".6.1", Value(OCTET_STRING, mac))
        m.put(IF_TABLE + ".8.1", Value(INTEGER, 1))
        m.put("1.3.6.1.2.1.2.1.0", Value(INTEGER, 1))
        # ipAddrTable: the device's own address (replaces the private rows of public captures)
        m.put(IP_ADDR_TABLE + ".1." + self.address, Value(IP_ADDRESS, self.address))
        m.put(IP_ADDR_TABLE + ".2." + self.address, Value(INTEGER, 1))
        m.put(IP_ADDR_TABLE + ".3." + self.address, Value(IP_ADDRESS, "255.0.0.0"))
        if p.get("printer"):
            self._build_printer_mib()
        for key, (type_name, raw) in (p.get("extra_objects") or {}).items():
            m.put(str(key), make_value(type_name, raw))
        for key, spec in (object_overrides or {}).items():
            if spec is None:
                m.remove(str(key))
            else:
                m.put(str(key), make_value(spec[0], spec[1]))

    def _build_captured_mib(self) -> None:
        """The capture's objects as they are; only the address rows become the device's own."""
        m = self.mib
        for key, value in self.capture_objects.items():
            if key[:len(_IP_ADDR_TABLE)] == _IP_ADDR_TABLE:
                continue
            m.put(key, value)
        m.put(IP_ADDR_TABLE + ".1." + self.address, Value(IP_ADDRESS, self.address))
        m.put(IP_ADDR_TABLE + ".2." + self.address, Value(INTEGER, 1))
        m.put(IP_ADDR_TABLE + ".3." + self.address, Value(IP_ADDRESS, "255.0.0.0"))
        for col, attr in ((4, "sys_contact"), (5, "sys_name"), (6, "sys_location")):
            current = m.get(oid(SYS + ".%d.0" % col)) if hasattr(m, "get") else None
            if current is not None and current.tag == OCTET_STRING:
                setattr(self, attr, current.value.decode("utf-8", "replace"))

    def _build_printer_mib(self) -> None:
        p, m = self.profile, self.mib
        m.put(HR_DEVICE + ".1.1", Value(INTEGER, 1))
        m.put(HR_DEVICE + ".2.1", Value(OBJECT_IDENTIFIER, oid(HR_DEVICE_PRINTER)))
        m.put(HR_DEVICE + ".3.1", Value(OCTET_STRING, p.get("hr_device_descr", p["model"]).encode()))
        m.put(HR_DEVICE + ".4.1", Value(OBJECT_IDENTIFIER, oid(p.get("hr_device_id", "0.0"))))
        if p.get("hr_printer_status", True):
            m.put(HR_PRINTER + ".1.1", Value(INTEGER, 1))   # Canon leaves hrPrinterStatus at other(1)
        m.put(PRT_GENERAL + ".17.1", Value(OCTET_STRING, self.serial.encode()))
        m.put(PRT_GENERAL + ".3.1", Value(INTEGER, 3))      # prtGeneralReset: notResetting(3)
        m.writable(PRT_GENERAL + ".3.1", self._write_reset)
        if p.get("vendor") == "Canon":
            if p.get("family") != "lbp":
                m.put(PRT_GENERAL + ".16.1", Value(OCTET_STRING, p["model"].encode()))
            m.put(CANON_PRODUCT_NAME, Value(OCTET_STRING, p["model"].encode()))
            if p.get("firmware"):
                m.put(CANON_PRODUCT_VERSION, Value(OCTET_STRING, str(p["firmware"]).encode()))
            if p.get("family") != "lbp":
                m.put(CANON_SERIAL, Value(OCTET_STRING, self.serial.encode()))
                m.put(CANON_SERIAL_TABLE, Value(OCTET_STRING, self.serial.encode()))
                m.put(PPM_PRINTER_NAME, Value(OCTET_STRING, ("Canon " + p["model"]).encode()))
        for i, c in enumerate(self.covers, 1):
            m.put(PRT_COVER + ".2.1.%d" % i, Value(OCTET_STRING, c["description"].encode()))
            m.put(PRT_COVER + ".3.1.%d" % i, Value(INTEGER, int(c["status"])))
        for i, name in enumerate(p.get("colorants", []) or [], 1):
            m.put(PRT_COLORANT + ".4.1.%d" % i, Value(OCTET_STRING, name.encode()))
        m.put(PRT_MARKER + ".3.1.1", Value(INTEGER, 7))     # prtMarkerCounterUnit: impressions(7)
        self._publish_counters()
        self._publish_supplies()
        self._publish_inputs()
        self._publish_alerts()

    def _publish_writable_string(self, key: str, attr: str, limit_name: str) -> None:
        self.mib.put(key, Value(OCTET_STRING, getattr(self, attr).encode("utf-8")))
        limit = int(self.name_max.get(limit_name, 255))

        def handler(value: Value, commit: bool) -> int:
            if value.tag != OCTET_STRING:
                return WRONG_TYPE
            if not commit:
                return NO_ERROR
            if len(value.value) > limit:
                return NO_ERROR     # silently ignored, as the EMC guide documents for Canon devices
            setattr(self, attr, value.value.decode("utf-8", "replace"))
            self.mib.put(key, Value(OCTET_STRING, value.value))
            return NO_ERROR

        self.mib.writable(key, handler)

    def _write_reset(self, value: Value, commit: bool) -> int:
        if value.tag != INTEGER:
            return WRONG_TYPE
        if value.value not in (3, 4, 5, 6):
            return WRONG_VALUE
        if commit and value.value in (4, 5, 6):
            # answer first, then go down: the response leaves before the restart begins
            self.restart()
        return NO_ERROR

    def _publish_counters(self) -> None:
        if self.capture_objects is not None:
            return     # a captured device is a read-only replay
        cprof = self.profile.get("counters") or {}
        if not self.profile.get("printer"):
            return
        m = self.mib
        m.put(PRT_MARKER + ".4.1.1", Value(COUNTER32, self.counters.life_count & 0xFFFFFFFF))
        values = self.counters.values()
        display = cprof.get("display")
        if display:
            for cid in display.get("ids", []):
                if display.get("code_type") == "integer":
                    m.put(CANON_DISPLAY + ".2.%d" % cid, Value(INTEGER, cid))
                else:
                    m.put(CANON_DISPLAY + ".2.%d" % cid, Value(OCTET_STRING, str(cid).encode()))
                name = counter_model.label(cid) if display.get("names") else ""
                m.put(CANON_DISPLAY + ".3.%d" % cid, Value(OCTET_STRING, name.encode()))
                m.put(CANON_DISPLAY + ".4.%d" % cid, Value(COUNTER32, values[cid]))
        all_table = cprof.get("all")
        if all_table:
            for cid in all_table.get("ids", []):
                m.put(CANON_ALL + ".2.%d" % cid, Value(OCTET_STRING, str(cid).encode()))
                m.put(CANON_ALL + ".3.%d" % cid, Value(OCTET_STRING, counter_model.label(cid).encode()))
                m.put(CANON_ALL + ".4.%d" % cid, Value(COUNTER32, values[cid]))
        named = cprof.get("named", []) or []
        if named == "all":
            # real iR-ADV devices repeat every all-table counter in the name/value table, by position
            named = list(enumerate((all_table or {}).get("ids", []), 1))
        for index, cid in named:
            m.put(CANON_NAMED + ".2.%d" % index, Value(OCTET_STRING, counter_model.label(cid).encode()))
            m.put(CANON_NAMED + ".3.%d" % index, Value(COUNTER32, values[cid]))

    def _publish_supplies(self) -> None:
        if self.capture_objects is not None:
            return     # a captured device is a read-only replay
        if not self.profile.get("printer"):
            return
        m = self.mib
        for i, s in enumerate(self.supplies, 1):
            idx = ".1.%d" % i
            if "colorant" in s:
                m.put(PRT_SUPPLIES + ".3" + idx, Value(INTEGER, int(s["colorant"])))
            if "class" in s:
                m.put(PRT_SUPPLIES + ".4" + idx, Value(INTEGER, int(s["class"])))
            if "type" in s:
                m.put(PRT_SUPPLIES + ".5" + idx, Value(INTEGER, int(s["type"])))
            m.put(PRT_SUPPLIES + ".6" + idx, Value(OCTET_STRING, s["description"].encode()))
            if "unit" in s:
                m.put(PRT_SUPPLIES + ".7" + idx, Value(INTEGER, int(s["unit"])))
            m.put(PRT_SUPPLIES + ".8" + idx, Value(INTEGER, int(s.get("max", 100))))
            m.put(PRT_SUPPLIES + ".9" + idx, Value(INTEGER, int(s.get("level", -2))))
        # finisher supplies (RFC 3806 finSupplyTable, index hrDeviceIndex.finSupplyIndex): staples ...
        for i, f in enumerate(self.profile.get("finisher_supplies", []) or [], 1):
            idx = ".1.%d" % i
            m.put(FIN_SUPPLY + ".3" + idx, Value(INTEGER, int(f.get("class", 3))))
            m.put(FIN_SUPPLY + ".4" + idx, Value(INTEGER, int(f.get("type", 32))))
            m.put(FIN_SUPPLY + ".5" + idx, Value(OCTET_STRING, str(f["description"]).encode()))
            m.put(FIN_SUPPLY + ".6" + idx, Value(INTEGER, int(f.get("unit", 19))))
            m.put(FIN_SUPPLY + ".7" + idx, Value(INTEGER, int(f.get("max", 100))))
            m.put(FIN_SUPPLY + ".8" + idx, Value(INTEGER, int(f.get("level", -2))))

    def _publish_inputs(self) -> None:
        m = self.mib
        for i, t in enumerate(self.inputs, 1):
            idx = ".1.%d" % i
            m.put(PRT_INPUT + ".2" + idx, Value(INTEGER, int(t.get("type", 4))))
            m.put(PRT_INPUT + ".9" + idx, Value(INTEGER, int(t.get("max", -2))))
            m.put(PRT_INPUT + ".10" + idx, Value(INTEGER, int(t.get("level", -3))))
            m.put(PRT_INPUT + ".11" + idx, Value(INTEGER, 0))
            m.put(PRT_INPUT + ".12" + idx, Value(OCTET_STRING, str(t.get("media", "")).encode()))
            m.put(PRT_INPUT + ".13" + idx, Value(OCTET_STRING, t["name"].encode()))

    def _publish_alerts(self) -> None:
        if self.capture_objects is not None:
            return     # a captured device is a read-only replay
        if not self.profile.get("printer"):
            return
        m = self.mib
        m.remove_subtree(PRT_ALERT)
        for i, a in enumerate(self.alerts, 1):
            idx = ".1.%d" % i
            m.put(PRT_ALERT + ".2" + idx, Value(INTEGER, a.severity))
            m.put(PRT_ALERT + ".3" + idx, Value(INTEGER, a.training))
            m.put(PRT_ALERT + ".4" + idx, Value(INTEGER, a.group))
            m.put(PRT_ALERT + ".5" + idx, Value(INTEGER, a.group_index))
            m.put(PRT_ALERT + ".6" + idx, Value(INTEGER, 0))
            m.put(PRT_ALERT + ".7" + idx, Value(INTEGER, a.code))
            m.put(PRT_ALERT + ".8" + idx, Value(OCTET_STRING, a.description.encode()))
            m.put(PRT_ALERT + ".9" + idx, Value(TIMETICKS, max(0, self.uptime_ticks() - int(
                (time.time() - a.raised_at) * 100))))
        self._refresh_status()

    def _refresh_status(self) -> None:
        if self.capture_objects is not None:
            return     # a captured device is a read-only replay
        if not self.profile.get("printer"):
            return
        m = self.mib
        status = HR_RUNNING
        bits = 0
        for a in self.alerts:
            status = max(status, a.device_status)
            for b in a.error_bits:
                bits |= 1 << (15 - ERROR_BITS[b])
        m.put(HR_DEVICE + ".5.1", Value(INTEGER, status))
        m.put(HR_PRINTER + ".2.1", Value(OCTET_STRING, bits.to_bytes(2, "big")))
        text = self.console_ready
        if self.alerts:
            text = self.alerts[-1].description
        elif self.asleep:
            text = "Sleep mode."
        if text is not None:
            m.put(PRT_CONSOLE + ".2.1.1", Value(OCTET_STRING, text.encode()))

    # ------------------------------------------------------------------ reporting -----------
    def _alert_dict(self, a: Alert, index: int) -> Dict[str, Any]:
        return {"index": index, "kind": a.kind, "severity": a.severity, "training_level": a.training,
                "group": a.group, "group_index": a.group_index, "code": a.code, "description": a.description}

    def state(self) -> Dict[str, Any]:
        """Everything the control API reports about the device."""
        self._tick()
        return {
            "address": self.address, "profile": self.profile["id"], "model": self.profile.get("model"),
            "vendor": self.profile.get("vendor"), "serial": self.serial, "mac": self.mac,
            "sys_name": self.sys_name, "sys_location": self.sys_location, "sys_contact": self.sys_contact,
            "powered": self.powered, "asleep": self.asleep, "restarting": bool(self._down_until),
            "reject_snmp_in_sleep": self.reject_snmp_in_sleep, "engine_boots": self.engine_boots,
            "counters": ({str(k): v for k, v in self.counters.values().items()}
                         if self.profile.get("printer") and self.capture_objects is None else {}),
            "life_count": (self.counters.life_count
                           if self.profile.get("printer") and self.capture_objects is None else None),
            "capture": self.profile.get("capture"),
            "supplies": [{"index": i, "description": s["description"], "level": s.get("level"),
                          "max": s.get("max")} for i, s in enumerate(self.supplies, 1)],
            "alerts": [self._alert_dict(a, i) for i, a in enumerate(self.alerts, 1)],
            "snmp": {"requests": self.stats["requests"], "dropped": self.stats["dropped"],
                     "by_version": dict(self.stats["by_version"])},
        }


_IP_ADDR_TABLE = oid(IP_ADDR_TABLE)


def _capture_objects(profile: Dict[str, Any]) -> Optional[Dict[Any, Any]]:
    """The objects of a profile's ``capture`` (a snmprec or ``snmpwalk -On`` file), or None."""
    if profile.get("capture_objects") is not None:
        return profile["capture_objects"]
    if not profile.get("capture"):
        return None
    from .capture import load_capture, resolve
    import os
    return load_capture(resolve(str(profile["capture"]), os.path.join(os.path.dirname(__file__), "profiles")))


def _fill_format(fmt: str, rng: random.Random) -> str:
    return "".join(str(rng.randint(0, 9)) if ch == "#" else ch for ch in fmt)


def _make_mac(oui: str, rng: random.Random) -> str:
    tail = [rng.randint(0, 255) for _unused in range(3)]
    return (oui.upper() + ":" + ":".join("%02X" % b for b in tail))
