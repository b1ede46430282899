"""Pure classification and decoding logic of module_utils/device/identity.py."""

from __future__ import annotations

import pytest

from ansible_collections.printfleet.canon.plugins.module_utils.device import identity as device
from ansible_collections.printfleet.canon.plugins.module_utils.transport import oids
from ansible_collections.printfleet.canon.plugins.module_utils.transport.snmp import NO_SUCH


def answers(**over):
    base = {o: NO_SUCH for o in device.IDENTITY_OIDS}
    base.update({
        oids.SYS_DESCR: b"Canon iR-ADV C5535 /P", oids.SYS_OBJECT_ID: "1.3.6.1.4.1.1602.4.7",
        oids.SYS_UPTIME: 617173985, oids.SYS_NAME: b"iR-ADV C5535", oids.SYS_LOCATION: b"", oids.SYS_CONTACT: b"",
        oids.IF_PHYS_ADDRESS_1: bytes.fromhex("888717000102"), oids.HR_DEVICE_TYPE_1: oids.HR_DEVICE_PRINTER,
        oids.HR_DEVICE_DESCR_1: b"Canon iR-ADV C5535", oids.HR_DEVICE_ID_1: "1.3.6.1.4.1.1602.4.7.170",
        oids.PRT_GENERAL_SERIAL_1: b"PRT00001", oids.PRT_MARKER_LIFE_COUNT_1: 1000,
        oids.CANON_PRODUCT_NAME: b"iR-ADV C5535", oids.CANON_PRODUCT_VERSION: b"16.12",
        oids.CANON_SERIAL: b"SCALAR01", oids.CANON_SERIAL_DEVICE_NUMBER: b"TABLE001",
    })
    base.update(over)
    return base


def test_canon_classic_classification():
    c = device.classify(answers())
    assert c["vendor"] == "Canon" and c["is_canon"] and c["is_printer"]
    assert c["model"] == "iR-ADV C5535"
    assert c["serial"] == "TABLE001"          # the serial-number table wins
    assert c["mac"] == "88:87:17:00:01:02"
    assert c["uptime_seconds"] == 6171739
    assert (c["family"], c["remote_ui"], c["address_book_type"], c["app_platform"]) == (
        "ir-adv", "classic", "I", "meap")


@pytest.mark.parametrize("drop,expected", [
    ([oids.CANON_SERIAL_DEVICE_NUMBER], "SCALAR01"),
    ([oids.CANON_SERIAL_DEVICE_NUMBER, oids.CANON_SERIAL], "PRT00001"),
    ([oids.CANON_SERIAL_DEVICE_NUMBER, oids.CANON_SERIAL, oids.PRT_GENERAL_SERIAL_1], None),
])
def test_serial_fallback_order(drop, expected):
    assert device.classify(answers(**{o: NO_SUCH for o in drop}))["serial"] == expected


@pytest.mark.parametrize("drop,expected", [
    ([], "iR-ADV C5535"),
    ([oids.CANON_PRODUCT_NAME], "iR-ADV C5535"),                        # from hrDeviceDescr, "Canon " cut
    ([oids.CANON_PRODUCT_NAME, oids.HR_DEVICE_DESCR_1], "iR-ADV C5535"),  # from sysDescr, " /P" cut
])
def test_model_fallback_order(drop, expected):
    assert device.classify(answers(**{o: NO_SUCH for o in drop}))["model"] == expected


def test_non_canon_printer():
    c = device.classify(answers(**{
        oids.SYS_DESCR: b"HP ETHERNET MULTI-ENVIRONMENT,ROM none", oids.SYS_OBJECT_ID: "1.3.6.1.4.1.11.2.3.9.1",
        oids.CANON_PRODUCT_NAME: NO_SUCH, oids.CANON_PRODUCT_VERSION: NO_SUCH, oids.CANON_SERIAL: NO_SUCH,
        oids.CANON_SERIAL_DEVICE_NUMBER: NO_SUCH, oids.HR_DEVICE_DESCR_1: b"HP LaserJet M607"}))
    assert c["vendor"] == "HP" and not c["is_canon"] and c["is_printer"]
    assert c["model"] == "HP LaserJet M607"
    assert c["firmware"] is None
    assert c["remote_ui"] == "unknown" and c["address_book_type"] == "unknown"


def test_non_printer():
    c = device.classify({oids.SYS_DESCR: b"Linux nas01", oids.SYS_OBJECT_ID: "1.3.6.1.4.1.8072.3.2.10"})
    assert not c["is_printer"] and not c["is_canon"]
    assert c["vendor"] == "net-snmp"


def test_printer_mib_alone_marks_a_printer():
    c = device.classify({oids.SYS_OBJECT_ID: "1.3.6.1.4.1.99999.1", oids.PRT_MARKER_LIFE_COUNT_1: 5})
    assert c["is_printer"]


@pytest.mark.parametrize("model,family", [
    ("iR-ADV C5535", "ir-adv"), ("iR-ADV DX C5840", "ir-adv"), ("imageRUNNER1133 series", "ir"),
    ("iR 2520", "ir"), ("MF642C/643C/644C", "mf"), ("LBP6670", "lbp"), ("imagePRESS C800", "imagepress"),
    ("Something", "other"), (None, "other"),
    ("D1180/MF6680", "mf"), ("TM-5300", "other")])     # public LibreNMS captures canonprinter_d1180 / _tm
def test_model_family(model, family):
    assert device.model_family(model) == family


def test_canon_sysdescr_listing_an_mf_model_is_a_printer_without_printer_mib():
    c = device.classify({oids.SYS_DESCR: b"Canon D1180/MF6680 /P", oids.SYS_OBJECT_ID: "1.3.6.1.4.1.1602.4.7"})
    assert (c["is_printer"], c["printer_evidence"], c["model"], c["family"]) == \
        (True, "canon_sys_object_id", "D1180/MF6680", "mf")


def test_lexmark_engine_oem_print_server_and_service_tag_in_public_captures():
    """Values from public LibreNMS captures: toshiba-tec_estudio305 (Toshiba under Lexmark's 641),
    dell-laser_s5830dn (service tag inside hrDeviceDescr; 'version ... kernel' sysDescr), okilan_9450g
    (print server sysDescr naming the printer it serves)."""
    toshiba = device.classify({oids.SYS_DESCR: b"TOSHIBA e-STUDIO305CS version NH63.GM.N639 kernel 3.0.0 All-N-1",
                               oids.SYS_OBJECT_ID: "1.3.6.1.4.1.641.2.71107164"})
    assert (toshiba["vendor"], toshiba["model"], toshiba["firmware"]) == ("Toshiba", "TOSHIBA e-STUDIO305CS",
                                                                          "NH63.GM.N639")
    lexmark = device.classify({oids.SYS_DESCR: b"Lexmark T640 version NS.NP.N219 kernel 2.6.6 All-N-1",
                               oids.SYS_OBJECT_ID: "1.3.6.1.4.1.641.1.71106749"})
    assert (lexmark["vendor"], lexmark["model"], lexmark["firmware"]) == ("Lexmark", "Lexmark T640", "NS.NP.N219")
    dell = device.classify({oids.SYS_DESCR: b"Dell S5830dn version NH62.YS.N636 kernel 3.0.0 All-N-1",
                            oids.SYS_OBJECT_ID: "1.3.6.1.4.1.674.10898.2.100.100.51.1094474004",
                            oids.HR_DEVICE_DESCR_1: b"Dell S5830dn 7XQ1R92 LW62.DN4.P636",
                            oids.PRT_GENERAL_SERIAL_1: b"7XQ1R92-132-13"})
    assert (dell["vendor"], dell["model"], dell["serial"], dell["firmware"]) == (
        "Dell", "Dell S5830dn", "7XQ1R92-132-13", "NH62.YS.N636")
    oki = device.classify({oids.SYS_DESCR: b"OKI OkiLAN 9450g Rev.00.69 10/100/1000BASE Ethernet PrintServer: "
                                           b"Attached to MC873 Rev.07.87 : Copyright (c) 2015 Oki Data Corporation.",
                           oids.SYS_OBJECT_ID: "1.3.6.1.4.1.2001.1.1.1.1", oids.PRT_INPUT_NAME_1_1: b"TRAY1"})
    assert (oki["vendor"], oki["model"], oki["firmware"], oki["is_printer"]) == ("OKI", "MC873", "07.87", True)
    assert device.trim_model("Brother NC-8300h, Firmware Ver.1.14  (14.11.06),MID 8C5-F01") == (
        "Brother NC-8300h", "1.14")                      # no 'kernel': the general rule, as before


def test_maker_firmware_objects_hp_datecode_prefix_and_konica():
    """HP's datecode object carries two bytes 01 15 before the text; Konica Minolta's firmware is only in its
    own object (values from the public LibreNMS captures jetdirect_m130nw and konica_c250i)."""
    hp = device.classify({oids.SYS_DESCR: b"HP ETHERNET MULTI-ENVIRONMENT,SN:VNCRC48198,FN:4Q817L4,SVCID:31339",
                          oids.SYS_OBJECT_ID: "1.3.6.1.4.1.11.2.3.9.1", oids.PRT_MARKER_LIFE_COUNT_1: 15232,
                          oids.HP_FIRMWARE_DATECODE: bytes.fromhex("01153230323031303233")})
    assert (hp["vendor"], hp["firmware"]) == ("HP", "20201023")
    km = device.classify({oids.SYS_DESCR: b"KONICA MINOLTA bizhub C250i", oids.PRT_MARKER_LIFE_COUNT_1: 33810,
                          oids.SYS_OBJECT_ID: "1.3.6.1.4.1.18334.1.1.1.2.1.181.2.4", oids.KONICA_FIRMWARE: b"1.102"})
    assert (km["vendor"], km["firmware"]) == ("Konica Minolta", "1.102")
    assert oids.HP_FIRMWARE_DATECODE in device.VENDOR_IDENTITY_OIDS["HP"].values()


@pytest.mark.parametrize("octets,names", [
    (b"\x00\x00", []),
    (b"\x20\x00", ["lowToner"]),
    (b"\x05\x00", ["jammed", "serviceRequested"]),
    (b"\x80\x04", ["lowPaper", "inputTrayEmpty"]),
    (b"\x00\x02", ["overduePreventMaint"]),
    (b"\xff", ["lowPaper", "noPaper", "lowToner", "noToner", "doorOpen", "jammed", "offline", "serviceRequested"]),
    (NO_SUCH, []),
])
def test_error_state_bits(octets, names):
    assert device.decode_error_state(octets) == names


@pytest.mark.parametrize("severity,training,expected", [
    ("critical", "fieldService", "service_call"), ("critical", "management", "service_call"),
    ("critical", "trained", "service_call"), ("critical", "untrained", "error"), ("critical", "other", "error"),
    ("warning", "untrained", "warning"), ("warningBinaryChangeEvent", None, "warning"), ("other", None, None)])
def test_emc_severity(severity, training, expected):
    assert device.emc_severity(severity, training) == expected


def test_alert_rows_and_highest_severity():
    table = {
        (1, 1): {"severity": 4, "training_level": 3, "group": 11, "group_index": 2, "code": 1104,
                 "description": b"Prepare a replacement toner cartridge. (Cyan)"},
        (1, 2): {"severity": 3, "training_level": 3, "group": 13, "group_index": 1, "code": 8,
                 "description": b"Paper jammed."},
    }
    rows = device.alert_rows(table)
    assert [r["code"] for r in rows] == ["markerTonerAlmostEmpty", "jam"]
    assert rows[0]["description"].endswith("(Cyan)")
    assert device.highest_severity(rows) == "error"
    table[(1, 3)] = {"severity": 3, "training_level": 5, "group": 5, "group_index": 1, "code": 1,
                     "description": b"Call service"}
    assert device.highest_severity(device.alert_rows(table)) == "service_call"
    assert device.highest_severity([]) is None


@pytest.mark.parametrize("level,cap,expected", [
    (78, 100, (78, 78.0, "known")), (3, 6, (3, 50.0, "known")), (-1, 100, (-1, None, "other")),
    (-2, 100, (-2, None, "unknown")), (-3, 100, (-3, None, "some_remaining")),
    (40, -2, (40, None, "capacity_unknown")), (NO_SUCH, 100, (None, None, "unknown"))])
def test_sentinels_never_become_percentages(level, cap, expected):
    assert device.level_and_percent(level, cap) == expected


def test_supply_rows_map_enums_and_colorants():
    rows = device.supply_rows({(1, 1): {"colorant": 2, "class": 3, "type": 3, "description": b"Cyan Toner",
                                        "unit": 19, "max": 100, "level": 40},
                               (1, 2): {"class": 4, "type": 4, "description": b"Waste", "unit": 19,
                                        "max": -2, "level": -3}}, {2: "cyan"})
    assert rows[0]["colorant"] == "cyan" and rows[0]["type"] == "toner" and rows[0]["percent"] == 40.0
    assert rows[1]["class"] == "receptacleThatIsFilled" and rows[1]["max"] is None and rows[1]["percent"] is None
