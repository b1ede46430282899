# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Identity, classification and SNMP-visible state of one device.

Parsing is kept in pure functions (``classify``, ``decode_error_state``, ``alert_rows`` ...) so the
inventory plugin, the modules and the unit tests share them; ``gather_*`` coroutines fetch the
raw values with one ``SnmpClient``.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Optional, Tuple

from ansible_collections.printfleet.canon.plugins.module_utils.transport import oids
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.transport.snmp import (
    NO_SUCH, SnmpClient, SnmpCredentials, SnmpTarget, to_text)

UNKNOWN = "unknown"

# One GET identifies a device: 16 objects, all scalar.
IDENTITY_OIDS: List[str] = [
    oids.SYS_DESCR, oids.SYS_OBJECT_ID, oids.SYS_UPTIME, oids.SYS_CONTACT, oids.SYS_NAME, oids.SYS_LOCATION,
    oids.IF_PHYS_ADDRESS_1, oids.IF_PHYS_ADDRESS_2, oids.HR_DEVICE_TYPE_1, oids.HR_DEVICE_DESCR_1,
    oids.HR_DEVICE_ID_1, oids.PRT_GENERAL_SERIAL_1, oids.PRT_GENERAL_PRINTER_NAME_1, oids.PRT_MARKER_LIFE_COUNT_1,
    oids.PRT_SUPPLIES_DESCRIPTION_1_1, oids.PRT_INPUT_NAME_1_1, oids.CANON_PRODUCT_NAME,
    oids.CANON_PRODUCT_VERSION, oids.CANON_SERIAL, oids.CANON_SERIAL_DEVICE_NUMBER,
]
# The Printer-MIB objects whose presence marks a printer (prtGeneral, prtMarker, prtMarkerSupplies, prtInput).
PRINTER_MIB_PROBES = (oids.PRT_GENERAL_SERIAL_1, oids.PRT_GENERAL_PRINTER_NAME_1, oids.PRT_MARKER_LIFE_COUNT_1,
                      oids.PRT_SUPPLIES_DESCRIPTION_1_1, oids.PRT_INPUT_NAME_1_1)

# --- enumerations (RFC 2790 / RFC 3805) -----------------------------------------------------
HR_DEVICE_STATUS = {1: "unknown", 2: "running", 3: "warning", 4: "testing", 5: "down"}
HR_PRINTER_STATUS = {1: "other", 2: "unknown", 3: "idle", 4: "printing", 5: "warmup"}
# hrPrinterDetectedErrorState: bit 0 is the most significant bit of the first octet.
ERROR_STATE_BITS = ["lowPaper", "noPaper", "lowToner", "noToner", "doorOpen", "jammed", "offline",
                    "serviceRequested", "inputTrayMissing", "outputTrayMissing", "markerSupplyMissing",
                    "outputNearFull", "outputFull", "inputTrayEmpty", "overduePreventMaint"]
COVER_STATUS = {1: "other", 3: "coverOpen", 4: "coverClosed", 5: "interlockOpen", 6: "interlockClosed"}
ALERT_SEVERITY = {1: "other", 3: "critical", 4: "warning", 5: "warningBinaryChangeEvent"}
ALERT_TRAINING = {1: "other", 2: "unknown", 3: "untrained", 4: "trained", 5: "fieldService",
                  6: "management", 7: "noInterventionRequired"}
ALERT_GROUP = {1: "other", 2: "unknown", 3: "hostResourcesMIBStorageTable", 4: "hostResourcesMIBDeviceTable",
               5: "generalPrinter", 6: "cover", 7: "localization", 8: "input", 9: "output", 10: "marker",
               11: "markerSupplies", 12: "markerColorant", 13: "mediaPath", 14: "channel", 15: "interpreter",
               16: "consoleDisplayBuffer", 17: "consoleLights", 18: "alert", 30: "finDevice", 31: "finSupply",
               32: "finSupplyMediaInput", 33: "finAttribute"}
ALERT_CODE = {1: "other", 2: "unknown", 3: "coverOpen", 4: "coverClosed", 5: "interlockOpen", 6: "interlockClosed",
              7: "configurationChange", 8: "jam", 9: "subunitMissing", 10: "subunitLifeAlmostOver",
              11: "subunitLifeOver", 12: "subunitAlmostEmpty", 13: "subunitEmpty", 14: "subunitAlmostFull",
              15: "subunitFull", 501: "doorOpen", 502: "doorClosed", 503: "poweredUp", 504: "poweredDown",
              801: "inputMediaTrayMissing", 807: "inputMediaSupplyLow", 808: "inputMediaSupplyEmpty",
              901: "outputMediaTrayMissing", 902: "outputMediaTrayAlmostFull", 903: "outputMediaTrayFull",
              1101: "markerTonerEmpty", 1102: "markerInkEmpty", 1104: "markerTonerAlmostEmpty",
              1105: "markerInkAlmostEmpty", 1107: "markerWasteTonerReceptacleAlmostFull",
              1109: "markerWasteTonerReceptacleFull", 1111: "markerOpcLifeAlmostOver", 1112: "markerOpcLifeOver",
              1113: "markerDeveloperAlmostEmpty", 1114: "markerDeveloperEmpty", 1115: "markerTonerCartridgeMissing",
              1301: "mediaPathMediaTrayMissing", 1302: "mediaPathMediaTrayAlmostFull",
              1303: "mediaPathMediaTrayFull"}
SUPPLY_CLASS = {1: "other", 3: "supplyThatIsConsumed", 4: "receptacleThatIsFilled"}
SUPPLY_TYPE = {1: "other", 2: "unknown", 3: "toner", 4: "wasteToner", 5: "ink", 6: "inkCartridge", 7: "inkRibbon",
               8: "wasteInk", 9: "opc", 10: "developer", 11: "fuserOil", 12: "solidWax", 13: "ribbonWax",
               14: "wasteWax", 15: "fuser", 16: "coronaWire", 17: "fuserOilWick", 18: "cleanerUnit",
               19: "fuserCleaningPad", 20: "transferUnit", 21: "tonerCartridge", 22: "fuserOiler", 23: "water",
               24: "wasteWater", 25: "glueWaterAdditive", 26: "wastePaper", 27: "bindingSupply",
               28: "bandingSupply", 29: "stitchingWire", 30: "shrinkWrap", 31: "paperWrap", 32: "staples",
               33: "inserts", 34: "covers"}
SUPPLY_UNIT = {1: "other", 2: "unknown", 3: "tenThousandthsOfInches", 4: "micrometers", 7: "impressions",
               8: "sheets", 11: "hours", 12: "thousandthsOfOunces", 13: "tenthsOfGrams",
               14: "hundrethsOfFluidOunces", 15: "tenthsOfMilliliters", 16: "feet", 17: "meters", 18: "items",
               19: "percent"}
INPUT_TYPE = {1: "other", 2: "unknown", 3: "sheetFeedAutoRemovableTray", 4: "sheetFeedAutoNonRemovableTray",
              5: "sheetFeedManual", 6: "continuousRoll", 7: "continuousFanFold"}
# Level/capacity sentinels (RFC 3805): never a percentage.
SENTINELS = {-1: "other", -2: "unknown", -3: "some_remaining"}

# EMC severity order for "highest severity": service call > error > warning.
SEVERITY_RANK = {"service_call": 3, "error": 2, "warning": 1}


def model_family(model: Optional[str]) -> str:
    """Canon product family from the model name (INFERENCE from Canon naming; see docs)."""
    m = (model or "").strip().lower()
    # a name listing several models ("D1180/MF6680") belongs to the family of the first one that has one
    for alternative in [p.strip() for p in m.split("/")[1:]]:
        if model_family(m.split("/")[0]) == "other" and model_family(alternative) != "other":
            return model_family(alternative)
    if m.startswith(("ir-adv", "imagerunner advance")):
        return "ir-adv"
    if m.startswith(("imagepress", "ipr")):
        return "imagepress"
    if m.startswith(("ir", "imagerunner")):
        return "ir"
    if m.startswith(("mf", "i-sensys mf", "imageclass mf")):
        return "mf"
    if m.startswith(("lbp", "i-sensys lbp", "imageclass lbp")):
        return "lbp"
    return "other"


# Device classification by family (INFERENCE from the EMC guide's type tables and public Remote
# UI captures; "unknown" where nothing public ties a family to a type).
FAMILY_TRAITS: Dict[str, Dict[str, str]] = {
    "ir-adv": {"remote_ui": "classic", "address_book_type": "I", "settings_type": "I", "app_platform": "meap"},
    "mf": {"remote_ui": "portal", "address_book_type": "II", "settings_type": UNKNOWN, "app_platform": UNKNOWN},
    "lbp": {"remote_ui": "portal", "address_book_type": "none", "settings_type": UNKNOWN, "app_platform": UNKNOWN},
}


def _mac(value: Any) -> Optional[str]:
    """Six bytes, not all zero (loopback and unset interfaces have none or zeros)."""
    if isinstance(value, bytes) and len(value) == 6 and any(value):
        return ":".join("%02X" % b for b in value)
    return None


def first_mac(values: Dict[str, Any], interfaces: Optional[Dict[Any, Any]] = None) -> Optional[str]:
    """The MAC of the first interface (by ifIndex) whose ifPhysAddress is six bytes, not all zero.

    ``interfaces`` is a walk of the ifPhysAddress column ({ifIndex or (ifIndex,): bytes}); without one, the
    ifPhysAddress.N objects present in ``values`` are used. Not always ifIndex 1: printers list
    loopback, Wi-Fi or unset interfaces first (a public Brother capture has four).
    """
    rows: List[Any] = []
    if interfaces:
        for index, value in interfaces.items():
            key = index[-1] if isinstance(index, tuple) else index
            rows.append((int(key), value))
    else:
        prefix = oids.IF_PHYS_ADDRESS + "."
        for key, value in values.items():
            if isinstance(key, str) and key.startswith(prefix) and key[len(prefix):].isdigit():
                rows.append((int(key[len(prefix):]), value))
    for _unused, value in sorted(rows, key=lambda r: r[0]):
        mac = _mac(value)
        if mac:
            return mac
    return None


def _canon_name(model: Optional[str]) -> Optional[str]:
    if not model:
        return None
    model = model.strip()
    if model.lower().startswith("canon "):
        model = model[6:].strip()
    if model.endswith(" /P"):
        model = model[:-3].strip()
    return model or None


# Enterprise number (sysObjectID 1.3.6.1.4.1.<n>) -> printer maker. IANA enterprise numbers; the
# printer ones are those public monitoring projects match (LibreNMS, GLPI agent, Zabbix templates).
ENTERPRISE_VENDORS: Dict[int, str] = {
    1602: "Canon", 11: "HP", 367: "Ricoh", 1347: "Kyocera", 18334: "Konica Minolta", 2385: "Sharp",
    2435: "Brother", 253: "Xerox", 641: "Lexmark", 1248: "Epson", 1129: "Toshiba", 2001: "OKI",
    10642: "Zebra", 236: "Samsung", 297: "Fujifilm", 674: "Dell", 19046: "Lenovo", 2699: "PWG",
    40093: "Pantum", 8072: "net-snmp",
}
# Makers that sell another maker's engine under their own name with that maker's enterprise number
# (Konica Minolta's, Kyocera's and Lexmark's OEMs): the sysDescr's first word names the vendor. A public
# LibreNMS capture (toshiba-tec_estudio305) has "TOSHIBA e-STUDIO305CS ..." under Lexmark's 641.
OEM_BRANDS: Dict[str, str] = {"develop": "Develop", "olivetti": "Olivetti", "muratec": "Muratec",
                              "triumph-adler": "TA Triumph-Adler", "ta": "TA Triumph-Adler", "utax": "UTAX",
                              "copystar": "Copystar", "imagistics": "Imagistics", "toshiba": "Toshiba",
                              "dell": "Dell"}
ENGINE_MAKERS = ("Konica Minolta", "Kyocera", "Lexmark")
_VENDOR_HINTS = (("canon", "Canon"), ("hewlett", "HP"), ("hp ", "HP"), ("jetdirect", "HP"), ("ricoh", "Ricoh"),
                 ("xerox", "Xerox"), ("kyocera", "Kyocera"), ("brother", "Brother"), ("lexmark", "Lexmark"),
                 ("konica", "Konica Minolta"), ("sharp", "Sharp"), ("epson", "Epson"), ("toshiba", "Toshiba"),
                 ("oki", "OKI"), ("zebra", "Zebra"), ("samsung", "Samsung"), ("fujifilm", "Fujifilm"),
                 ("fuji xerox", "Fujifilm"), ("dell", "Dell"), ("lenovo", "Lenovo"))
# Objects a maker publishes its identity in when the standard MIBs do not (public monitoring projects).
VENDOR_IDENTITY_OIDS: Dict[str, Dict[str, str]] = {
    "Brother": {"serial": oids.BROTHER_SERIAL, "firmware": oids.BROTHER_FIRMWARE},
    "Kyocera": {"serial": oids.KYOCERA_SERIAL, "firmware": oids.KYOCERA_FIRMWARE, "model": oids.KYOCERA_MODEL},
    "Ricoh": {"serial": oids.RICOH_SERIAL},
    "Konica Minolta": {"firmware": oids.KONICA_FIRMWARE},
    "HP": {"firmware": oids.HP_FIRMWARE_DATECODE},
}
# HP's own objects carry two leading bytes (01 15) before the text; control bytes never belong to a value.
_LEADING_CONTROL = re.compile(r"^[\x00-\x1f]+")


def _maker_text(text: Dict[str, Optional[str]], oid: Optional[str]) -> Optional[str]:
    """A maker's own identity object as text, without the leading control bytes some makers put in front."""
    value = text.get(oid) if oid else None
    return _LEADING_CONTROL.sub("", value).strip() or None if value else None


def enterprise_of(sys_object_id: Optional[str]) -> Optional[int]:
    if sys_object_id and oids.is_under(sys_object_id, "1.3.6.1.4.1"):
        parts = oids.oid_tuple(sys_object_id)
        return parts[6] if len(parts) > 6 else None
    return None


def vendor_of(sys_descr: str, sys_object_id: Optional[str]) -> Optional[str]:
    """The maker from the sysObjectID enterprise number (one table), then OEM brand, then sysDescr words."""
    vendor = ENTERPRISE_VENDORS.get(enterprise_of(sys_object_id) or -1)
    first = (sys_descr or "").strip().split(" ", 1)[0].casefold()
    if vendor in ENGINE_MAKERS and first in OEM_BRANDS:
        return OEM_BRANDS[first]
    if vendor and vendor not in ("net-snmp", "PWG"):
        return vendor
    low = (sys_descr or "").casefold()
    for hint, name in _VENDOR_HINTS:
        if low.startswith(hint) or (" " + hint) in " " + low:
            return name
    return vendor


_FIRMWARE_TAIL = re.compile(r"\s+(?:v(?:er(?:sion)?)?\.?\s*)?\d+(?:\.\d+)+\S*$", re.IGNORECASE)
_VERSION = re.compile(r"\d+(?:\.\d+)+")
# Lexmark-engine sysDescr (Lexmark, Dell, Toshiba OEM): "Dell S5830dn version NH62.YS.N636 kernel 3.0.0 All-N-1"
_MODEL_VERSION_KERNEL = re.compile(r"^(?P<model>.+?)\s+version\s+(?P<firmware>\S+)\s+kernel\s", re.IGNORECASE)
# A print server's sysDescr names the printer it serves: "OKI OkiLAN 9450g Rev.00.69 ... Attached to MC873 Rev.07.87"
_ATTACHED_TO = re.compile(r"\battached to\s+(?P<model>[^\s:;,]+)\s+rev\.?\s*(?P<firmware>\d[\w.]*)", re.IGNORECASE)


def trim_model(text: Optional[str]) -> Tuple[Optional[str], Optional[str]]:
    """(model, firmware tail) of a descriptive string: cut at ';', ',' or ' / ', drop ' /P' and a trailing
    version number ('Xerox AltaLink C8045; SS 100.002…' -> 'Xerox AltaLink C8045', 'RICOH MP 3053 1.09 / …'
    -> 'RICOH MP 3053')."""
    if not text:
        return None, None
    text = " ".join(text.split())
    for pattern in (_ATTACHED_TO, _MODEL_VERSION_KERNEL):
        found = pattern.search(text)
        if found:
            return found.group("model").strip() or None, found.group("firmware")
    head, tail = text, ""
    for sep in (";", " / ", ","):
        if sep in head:
            head, rest = head.split(sep, 1)
            tail = rest + (" " + tail if tail else "")
    head = head.strip()
    if head.endswith(" /P"):
        head = head[:-3].strip()
    match = _FIRMWARE_TAIL.search(head)
    if match and match.start() > 0:
        tail = head[match.start():].strip() + (" " + tail if tail else "")
        head = head[:match.start()].strip()
    version = _VERSION.search(tail)
    return head or None, (version.group(0) if version else None)


def _without_serial(model: Optional[str], serial: Optional[str]) -> Optional[str]:
    """A model name cut where the device's serial (or its first '-' part, a service tag) begins: a public Dell
    capture's hrDeviceDescr is "Dell S5830dn 7XQ1R92 LW62.DN4.P636" with serial "7XQ1R92-132-13"."""
    if not model or not serial:
        return model
    marks = {serial.strip().casefold(), serial.strip().split("-")[0].casefold()}
    words = model.split()
    for i, word in enumerate(words):
        if i > 0 and len(word) >= 5 and word.casefold() in marks:
            return " ".join(words[:i])
    return model


def _present(values: Dict[str, Any], key: str) -> bool:
    return values.get(key) not in (NO_SUCH, None)


def is_canon_printer_descr(sys_descr: str) -> bool:
    """A Canon sysDescr naming a printer family ('Canon iR-ADV C5235 /P', 'Canon LBP6670 /P')."""
    low = (sys_descr or "").strip().casefold()
    return low.startswith("canon ") and model_family(_canon_name(sys_descr)) != "other"


def classify(values: Dict[str, Any], interfaces: Optional[Dict[Any, Any]] = None) -> Dict[str, Any]:
    """Identity and classification from the IDENTITY_OIDS answers (pure; no I/O).

    Printer: any Printer-MIB table (prtGeneral, prtMarker, prtMarkerSupplies, prtInput) or hrDeviceType
    printer; a Canon sysObjectID under 1602.4 with a Canon printer sysDescr also counts (EMC's function
    check finds such devices) and ``unread`` says what could not be read. Vendor: the sysObjectID
    enterprise number. Model: Canon product name, hrDeviceDescr, prtGeneralPrinterName, then sysDescr,
    trimmed of firmware tails. MAC: the first interface with a six-byte, non-zero ifPhysAddress.
    """
    text = {k: to_text(v) for k, v in values.items()}
    sys_object_id = values.get(oids.SYS_OBJECT_ID)
    sys_object_id = sys_object_id if isinstance(sys_object_id, str) else None
    hr_type = values.get(oids.HR_DEVICE_TYPE_1)
    sys_descr = text.get(oids.SYS_DESCR) or ""
    canon_name = text.get(oids.CANON_PRODUCT_NAME)
    vendor = vendor_of(sys_descr, sys_object_id)
    is_canon = bool(vendor == "Canon" or canon_name)
    printer_mib = any(_present(values, o) for o in PRINTER_MIB_PROBES)
    evidence = None
    if printer_mib:
        evidence = "printer_mib"
    elif hr_type == oids.HR_DEVICE_PRINTER:
        evidence = "hr_device_type"
    elif (sys_object_id and oids.is_under(sys_object_id, oids.CANON_ENTERPRISE + ".4")
          and is_canon_printer_descr(sys_descr)):
        evidence = "canon_sys_object_id"
    unread: List[str] = []
    if evidence == "canon_sys_object_id":
        unread = ["Printer-MIB (status, supplies, inputs, prtMarkerLifeCount)"]
    # model: the standard MIBs before sysDescr, trimmed of firmware tails
    descr_model, descr_firmware = trim_model(sys_descr)
    candidates = [canon_name, text.get(oids.HR_DEVICE_DESCR_1), text.get(oids.PRT_GENERAL_PRINTER_NAME_1),
                  text.get(oids.KYOCERA_MODEL)]
    model = None
    for candidate in candidates:
        trimmed, _unused = trim_model(candidate)
        if trimmed:
            model = trimmed
            break
    model = model or descr_model
    if is_canon:
        model = _canon_name(model)
    extra = VENDOR_IDENTITY_OIDS.get(vendor or "", {})
    serial = (text.get(oids.CANON_SERIAL_DEVICE_NUMBER) or text.get(oids.CANON_SERIAL)
              or text.get(oids.PRT_GENERAL_SERIAL_1) or _maker_text(text, extra.get("serial")))
    model = _without_serial(model, serial)
    if is_canon:
        firmware = text.get(oids.CANON_PRODUCT_VERSION)
    else:
        firmware = _maker_text(text, extra.get("firmware")) or descr_firmware
    family = model_family(model) if is_canon else "other"
    traits = FAMILY_TRAITS.get(family, {}) if is_canon else {}
    uptime = values.get(oids.SYS_UPTIME)
    hr_id = values.get(oids.HR_DEVICE_ID_1)
    return {
        "vendor": vendor,
        "is_canon": is_canon,
        "is_printer": evidence is not None,
        "printer_evidence": evidence,
        "unread": unread,
        "model": model,
        "serial": (serial or "").strip() or None,
        "firmware": (firmware or "").strip() or None,
        "mac": first_mac(values, interfaces),
        "sys_name": text.get(oids.SYS_NAME),
        "location": text.get(oids.SYS_LOCATION),
        "contact": text.get(oids.SYS_CONTACT),
        "sys_descr": sys_descr or None,
        "uptime_seconds": (uptime // 100) if isinstance(uptime, int) else None,
        "sys_object_id": sys_object_id,
        "hr_device_id": hr_id if isinstance(hr_id, str) else None,
        "family": family,
        "remote_ui": traits.get("remote_ui", UNKNOWN),
        "address_book_type": traits.get("address_book_type", UNKNOWN),
        "settings_type": traits.get("settings_type", UNKNOWN),
        "app_platform": traits.get("app_platform", UNKNOWN),
    }


def decode_error_state(value: Any) -> List[str]:
    """hrPrinterDetectedErrorState octets -> list of set condition names."""
    if not isinstance(value, bytes):
        return []
    out = []
    for bit, name in enumerate(ERROR_STATE_BITS):
        byte, offset = divmod(bit, 8)
        if byte < len(value) and value[byte] & (0x80 >> offset):
            out.append(name)
    return out


def emc_severity(severity: Optional[str], training: Optional[str]) -> Optional[str]:
    """EMC's three icons: service call (critical + trained/management/field service), error
    (other critical), warning (warning, warningBinaryChangeEvent). See EMC guide p.111, p.122."""
    if severity == "critical":
        if training in ("trained", "management", "fieldService"):
            return "service_call"
        return "error"
    if severity in ("warning", "warningBinaryChangeEvent"):
        return "warning"
    return None


def alert_rows(table: Dict[tuple, Dict[str, Any]]) -> List[Dict[str, Any]]:
    rows = []
    for index, r in table.items():
        sev = ALERT_SEVERITY.get(r.get("severity"), UNKNOWN if r.get("severity") is not None else None)
        training = ALERT_TRAINING.get(r.get("training_level"))
        rows.append({
            "index": index[-1] if index else None,
            "severity": sev,
            "severity_raw": r.get("severity"),
            "training_level": training,
            "group": ALERT_GROUP.get(r.get("group"), r.get("group")),
            "group_index": r.get("group_index"),
            "code": ALERT_CODE.get(r.get("code"), r.get("code")),
            "code_raw": r.get("code"),
            "description": to_text(r.get("description")),
            "emc_severity": emc_severity(sev, training),
        })
    return rows


def highest_severity(alerts: Iterable[Dict[str, Any]]) -> Optional[str]:
    best = None
    for a in alerts:
        s = a.get("emc_severity")
        if s and (best is None or SEVERITY_RANK[s] > SEVERITY_RANK[best]):
            best = s
    return best


def level_and_percent(level: Any, capacity: Any):
    """(level, percent, state): sentinels are reported by name and never as a percentage."""
    if not isinstance(level, int):
        return None, None, UNKNOWN
    if level in SENTINELS:
        return level, None, SENTINELS[level]
    if isinstance(capacity, int) and capacity > 0:
        return level, round(100.0 * level / capacity, 1), "known"
    if isinstance(capacity, int) and capacity in SENTINELS:
        return level, None, "capacity_" + SENTINELS[capacity]
    return level, None, UNKNOWN


def supply_rows(table: Dict[tuple, Dict[str, Any]], colorants: Dict[int, str]) -> List[Dict[str, Any]]:
    rows = []
    for index, r in table.items():
        level, percent, state = level_and_percent(r.get("level"), r.get("max"))
        cap = r.get("max")
        rows.append({
            "index": index[-1] if index else None,
            "description": to_text(r.get("description")),
            "class": SUPPLY_CLASS.get(r.get("class"), r.get("class")),
            "type": SUPPLY_TYPE.get(r.get("type"), r.get("type")),
            "colorant": colorants.get(r.get("colorant")) if r.get("colorant") else None,
            "unit": SUPPLY_UNIT.get(r.get("unit"), r.get("unit")),
            "max": cap if isinstance(cap, int) and cap >= 0 else None,
            "max_raw": cap,
            "level": level,
            "percent": percent,
            "level_state": state,
        })
    return rows


def input_rows(table: Dict[tuple, Dict[str, Any]]) -> List[Dict[str, Any]]:
    rows = []
    for index, r in table.items():
        level, percent, state = level_and_percent(r.get("level"), r.get("max"))
        cap = r.get("max")
        rows.append({
            "index": index[-1] if index else None,
            "name": to_text(r.get("name")),
            "type": INPUT_TYPE.get(r.get("type"), r.get("type")),
            "capacity": cap if isinstance(cap, int) and cap >= 0 else None,
            "capacity_raw": cap,
            "level": level,
            "percent": percent,
            "level_state": state,
            "media": to_text(r.get("media")) or None,
        })
    return rows


# ----------------------------------------------------------------------------- gathering ---

def vendor_identity_oids(values: Dict[str, Any]) -> List[str]:
    """The maker's own identity objects to read when the standard ones left the serial empty (one more GET,
    only for makers that need it: Brother, Kyocera, Ricoh)."""
    sys_oid = values.get(oids.SYS_OBJECT_ID)
    vendor = vendor_of(to_text(values.get(oids.SYS_DESCR)) or "", sys_oid if isinstance(sys_oid, str) else None)
    extra = VENDOR_IDENTITY_OIDS.get(vendor or "", {})
    if not extra or any(to_text(values.get(o)) for o in (oids.CANON_SERIAL, oids.PRT_GENERAL_SERIAL_1)):
        return []
    return sorted(set(extra.values()))


async def add_vendor_identity(client: SnmpClient, items: Iterable[Any]) -> None:
    """For discovery: ``items`` are (target, values dict); the maker's objects are added to ``values``.
    A device that does not answer this second GET keeps what the first gave."""
    async def one(target: SnmpTarget, values: Dict[str, Any]) -> None:
        wanted = vendor_identity_oids(values)
        if wanted:
            try:
                values.update(await client.get(target, wanted))
            except CanonError:
                pass

    await client.gather(*(one(t, v) for t, v in items))


async def gather_identity(client: SnmpClient, target: SnmpTarget) -> Dict[str, Any]:
    """One GET of IDENTITY_OIDS, a walk of ifPhysAddress (the MAC is not always on ifIndex 1), and one
    more GET for makers that publish serial/firmware only in their own objects."""
    values = await client.get(target, IDENTITY_OIDS)
    interfaces = await client.walk_columns(target, {"mac": oids.IF_PHYS_ADDRESS}, max_rows=64)
    macs = {index: row.get("mac") for index, row in interfaces.items()}
    vendor = vendor_of(to_text(values.get(oids.SYS_DESCR)) or "", values.get(oids.SYS_OBJECT_ID)
                       if isinstance(values.get(oids.SYS_OBJECT_ID), str) else None)
    extra = sorted(set(VENDOR_IDENTITY_OIDS.get(vendor or "", {}).values()))
    if extra:
        values = dict(values)
        values.update(await client.get(target, extra))
    return classify(values, macs)


async def gather_status(client: SnmpClient, target: SnmpTarget) -> Dict[str, Any]:
    values = await client.get(target, [oids.HR_DEVICE_STATUS_1, oids.HR_PRINTER_STATUS_1,
                                       oids.HR_PRINTER_ERROR_STATE_1])
    console = await client.walk_columns(target, {"text": oids.PRT_CONSOLE_DISPLAY_TEXT})
    covers = await client.walk_columns(target, {"description": oids.PRT_COVER_DESCRIPTION,
                                                "status": oids.PRT_COVER_STATUS})
    dev = values[oids.HR_DEVICE_STATUS_1]
    prt = values[oids.HR_PRINTER_STATUS_1]
    lines = [to_text(r.get("text")) for r in console.values() if to_text(r.get("text"))]
    return {
        "device_status": HR_DEVICE_STATUS.get(dev, UNKNOWN) if dev is not NO_SUCH else UNKNOWN,
        "printer_status": HR_PRINTER_STATUS.get(prt) if prt is not NO_SUCH else None,
        "error_state": decode_error_state(values[oids.HR_PRINTER_ERROR_STATE_1]),
        "console_display": lines,
        "covers": [{"description": to_text(r.get("description")),
                    "status": COVER_STATUS.get(r.get("status"), r.get("status"))} for r in covers.values()],
    }


async def gather_alerts(client: SnmpClient, target: SnmpTarget) -> Dict[str, Any]:
    table = await client.walk_columns(target, {
        "severity": oids.PRT_ALERT_SEVERITY, "training_level": oids.PRT_ALERT_TRAINING_LEVEL,
        "group": oids.PRT_ALERT_GROUP, "group_index": oids.PRT_ALERT_GROUP_INDEX,
        "code": oids.PRT_ALERT_CODE, "description": oids.PRT_ALERT_DESCRIPTION})
    rows = alert_rows(table)
    return {"alerts": rows, "highest_severity": highest_severity(rows)}


async def gather_supplies(client: SnmpClient, target: SnmpTarget) -> List[Dict[str, Any]]:
    table = await client.walk_columns(target, {
        "colorant": oids.PRT_SUPPLIES_COLORANT_INDEX, "class": oids.PRT_SUPPLIES_CLASS,
        "type": oids.PRT_SUPPLIES_TYPE, "description": oids.PRT_SUPPLIES_DESCRIPTION,
        "unit": oids.PRT_SUPPLIES_UNIT, "max": oids.PRT_SUPPLIES_MAX_CAPACITY, "level": oids.PRT_SUPPLIES_LEVEL})
    colorant_table = await client.walk_columns(target, {"value": oids.PRT_COLORANT_VALUE})
    colorants = {idx[-1]: to_text(r.get("value")) for idx, r in colorant_table.items() if idx}
    fin = await client.walk_columns(target, {
        "class": oids.FIN_SUPPLY_CLASS, "type": oids.FIN_SUPPLY_TYPE, "description": oids.FIN_SUPPLY_DESCRIPTION,
        "unit": oids.FIN_SUPPLY_UNIT, "max": oids.FIN_SUPPLY_MAX_CAPACITY, "level": oids.FIN_SUPPLY_LEVEL})
    return supply_rows(table, colorants) + finisher_rows(fin)


def finisher_rows(table: Dict[tuple, Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Finisher supplies (RFC 3806 finSupplyTable: staples, inserts, binding ...) as supply rows with
    ``finisher: true``; the index is ``<device>.<supply>``. Staples monitoring reads these."""
    rows = supply_rows(table, {})
    for row, index in zip(rows, table):
        row["index"] = ".".join(str(i) for i in index) if index else None
        row["finisher"] = True
    return rows


async def gather_inputs(client: SnmpClient, target: SnmpTarget) -> List[Dict[str, Any]]:
    table = await client.walk_columns(target, {
        "type": oids.PRT_INPUT_TYPE, "max": oids.PRT_INPUT_MAX_CAPACITY, "level": oids.PRT_INPUT_CURRENT_LEVEL,
        "media": oids.PRT_INPUT_MEDIA_NAME, "name": oids.PRT_INPUT_NAME})
    return input_rows(table)


COUNTER_TABLES = {"display": oids.CANON_DISPLAY_COUNTER_VALUE, "all": oids.CANON_ALL_COUNTER_VALUE,
                  "named": oids.CANON_NAMED_COUNTER_VALUE}


async def _answers(client: SnmpClient, target: SnmpTarget, version: str) -> bool:
    probe = SnmpTarget(target.host, target.port, SnmpCredentials(version=version,
                                                                 community=target.credentials.community),
                       timeout=min(target.timeout, 1.0), retries=0)
    try:
        values = await client.get(probe, [oids.SYS_OBJECT_ID])
    except CanonError:
        return False
    return values.get(oids.SYS_OBJECT_ID) is not NO_SUCH


async def gather_capabilities(client: SnmpClient, target: SnmpTarget, identity: Dict[str, Any]) -> Dict[str, Any]:
    """What SNMP can tell about the device; ``unknown`` for what it cannot."""
    versions = ["3"] if target.credentials.version == "3" else []
    if target.credentials.version in ("1", "2c"):
        probes = await client.gather(*(_answers(client, target, v) for v in ("1", "2c")))
        versions = [v for v, ok in zip(("1", "2c"), probes) if ok]
    tables = []
    for name, column in COUNTER_TABLES.items():
        found = await client.walk_columns(target, {"v": column}, max_rows=1)
        if found:
            tables.append(name)
    life = await client.get(target, [oids.PRT_MARKER_LIFE_COUNT_1])
    return {
        "is_canon": identity["is_canon"],
        "is_printer": identity["is_printer"],
        "snmp_versions": versions,
        "counter_tables": tables,
        "life_count": life[oids.PRT_MARKER_LIFE_COUNT_1] is not NO_SUCH,
        "remote_ui": identity["remote_ui"],
        "address_book_type": identity["address_book_type"],
        "settings_type": identity["settings_type"],
        "app_platform": identity["app_platform"],
        "firmware_updater": UNKNOWN,
    }


def require_printer(identity: Dict[str, Any], target: SnmpTarget) -> None:
    if not identity["is_printer"]:
        raise CanonError("not_a_printer", "%s answers SNMP (%s) but is not a printer" % (
            target.host, identity.get("sys_descr") or identity.get("sys_object_id") or "no description"))
