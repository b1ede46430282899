"""Identification (vendor, model, serial, firmware, MAC, printer or not) on public captures of real printers.

The captures are simulator/captures/* (sources in their headers and README); the identity-only rows below are
LibreNMS test data (tests/snmpsim/{ricoh,kyocera,jetdirect}.snmprec), quoted as data.
"""

from __future__ import annotations

import os

import pytest

from simulator import capture as cap
from simulator.mib import OBJECT_IDENTIFIER, OCTET_STRING, OPAQUE

from ansible_collections.printfleet.canon.plugins.module_utils.device import identity
from ansible_collections.printfleet.canon.plugins.module_utils.transport import oids


def values_of(objects):
    """Capture objects as SnmpClient.get answers them: OID strings as keys, bytes, dotted OIDs, ints."""
    out = {}
    for key, value in objects.items():
        raw = value.value
        if value.tag == OBJECT_IDENTIFIER:
            raw = ".".join(map(str, raw))
        elif value.tag not in (OCTET_STRING, OPAQUE) and raw is not None and not isinstance(raw, str):
            raw = int(raw)
        out[".".join(map(str, key))] = raw
    return out


def from_capture(name):
    values = values_of(cap.load_capture(os.path.join(cap.CAPTURE_DIR, name)))
    macs = {int(k.rsplit(".", 1)[1]): v for k, v in values.items() if k.startswith(oids.IF_PHYS_ADDRESS + ".")}
    return identity.classify(values, macs)


@pytest.mark.parametrize("name,expected", [
    ("canon-lbp6670.snmprec", {"vendor": "Canon", "model": "LBP6670", "serial": "MKRA012345", "firmware": "R7.21",
                               "mac": "88:87:17:00:00:00", "is_printer": True, "family": "lbp"}),
    ("canon-ir-adv-c5235.snmprec", {"vendor": "Canon", "model": "iR-ADV C5235", "serial": None, "mac": None,
                                    "is_printer": True, "printer_evidence": "canon_sys_object_id",
                                    "family": "ir-adv"}),
    ("canon-mf642c.walk", {"vendor": "Canon", "model": "MF642C/643C/644C", "is_printer": True,
                           "printer_evidence": "printer_mib", "family": "mf"}),
    ("sharp-mx-3570n.snmprec", {"vendor": "Sharp", "model": "SHARP MX-3570N", "serial": "6509415X00",
                                "mac": "24:31:84:C8:46:6A", "is_printer": True, "is_canon": False}),
    ("xerox-altalink-c8045.snmprec", {"vendor": "Xerox", "model": "Xerox AltaLink C8045",
                                      "firmware": "100.002.057.09608", "is_printer": True, "mac": None}),
    ("brother-mfc-l2710dw.snmprec", {"vendor": "Brother", "model": "Brother MFC-L2710DW series",
                                     "serial": "000A5J431816", "firmware": "Firmware Ver.Q",
                                     "mac": "3C:2A:F4:BF:F5:1B", "is_printer": True}),
    ("epson-wf-c5790.snmprec", {"vendor": "Epson", "model": "EPSON WF-C5790BA", "serial": "X3B8022793",
                                "mac": "9C:AE:D3:AA:D6:C5", "is_printer": True}),
])
def test_identity_of_public_captures(name, expected):
    got = from_capture(name)
    assert {k: got[k] for k in expected} == expected


def test_the_canon_without_printer_mib_says_what_could_not_be_read():
    got = from_capture("canon-ir-adv-c5235.snmprec")
    assert got["unread"] and "Printer-MIB" in got["unread"][0]
    # the same sysObjectID with a non-printer sysDescr is not a printer
    assert not identity.classify({oids.SYS_DESCR: b"Canon network scanner", oids.SYS_OBJECT_ID: "1.3.6.1.4.1.1602.4.7"}
                                 )["is_printer"]


@pytest.mark.parametrize("descr,sys_oid,vendor,model,firmware", [
    # LibreNMS tests/snmpsim/ricoh.snmprec, kyocera.snmprec, jetdirect.snmprec
    (b"RICOH MP 3053 1.09 / RICOH Network Printer C model / RICOH Network Scanner C model / RICOH Network "
     b"Facsimile C model", "1.3.6.1.4.1.367.1.1", "Ricoh", "RICOH MP 3053", "1.09"),
    (b"KYOCERA Document Solutions Printing System", "1.3.6.1.4.1.1347.41", "Kyocera",
     "KYOCERA Document Solutions Printing System", None),
    (b"HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD143,EEPROM V.43.92,CIDATE 07/22/2015",
     "1.3.6.1.4.1.11.2.3.9.1", "HP", "HP ETHERNET MULTI-ENVIRONMENT", "43.92"),
    (b"Develop ineo+ 308", "1.3.6.1.4.1.18334.1.2.1.2.1.41", "Develop", "Develop ineo+ 308", None),
    (b"TOSHIBA e-STUDIO2515AC", "1.3.6.1.4.1.1129.2.3.45.1", "Toshiba", "TOSHIBA e-STUDIO2515AC", None),
    (b"Zebra ZT410", "1.3.6.1.4.1.10642.1.1", "Zebra", "Zebra ZT410", None),
    (b"Lexmark MX711", "1.3.6.1.4.1.641.2.1.2.1", "Lexmark", "Lexmark MX711", None),
    (b"OKI C532", "1.3.6.1.4.1.2001.1.1.1.1", "OKI", "OKI C532", None),
])
def test_vendor_comes_from_the_enterprise_number_and_model_is_trimmed(descr, sys_oid, vendor, model, firmware):
    got = identity.classify({oids.SYS_DESCR: descr, oids.SYS_OBJECT_ID: sys_oid})
    assert (got["vendor"], got["model"], got["firmware"]) == (vendor, model, firmware)
    assert got["is_printer"] is False            # no Printer-MIB, no hrDeviceType printer: not claimed


def test_model_prefers_standard_mibs_over_sys_descr():
    got = identity.classify({oids.SYS_DESCR: b"Lexmark Something", oids.SYS_OBJECT_ID: "1.3.6.1.4.1.641.1",
                             oids.PRT_GENERAL_PRINTER_NAME_1: b"Lexmark MX711de; 1.2.3"})
    assert got["model"] == "Lexmark MX711de" and got["is_printer"] is True


def test_mac_is_the_first_interface_with_six_non_zero_bytes():
    assert identity.first_mac({}, {1: b"", 2: bytes(6), 3: bytes.fromhex("0011223344"),
                                   4: bytes.fromhex("F48139001122")}) == "F4:81:39:00:11:22"
    assert identity.first_mac({oids.IF_PHYS_ADDRESS_1: b"", oids.IF_PHYS_ADDRESS_2: bytes.fromhex("243184c8466a")}
                              ) == "24:31:84:C8:46:6A"
    assert identity.first_mac({}, {(2,): bytes.fromhex("AABBCCDDEEFF"), (10,): bytes.fromhex("010203040506")}
                              ) == "AA:BB:CC:DD:EE:FF"
    assert identity.first_mac({}) is None
