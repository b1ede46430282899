"""Serving devices from captures (simulator/capture.py) and the counter tables every profile publishes."""

from __future__ import annotations

import os

import pytest

from simulator import capture as cap
from simulator.device import SimDevice
from simulator.fleet import FleetError, build_fleet, load_profiles
from simulator.mib import COUNTER32, INTEGER, IP_ADDRESS, OBJECT_IDENTIFIER, OCTET_STRING, TIMETICKS, oid

from ansible_collections.printfleet.canon.plugins.module_utils.counters import capture as counters

CAPTURES = sorted(f for f in os.listdir(cap.CAPTURE_DIR) if not f.endswith(".md"))
DISPLAY, ALL, NAMED = "1.3.6.1.4.1.1602.1.11.1.3.1", "1.3.6.1.4.1.1602.1.11.1.4.1", "1.3.6.1.4.1.1602.1.11.2.1.1"


def test_snmprec_types_comments_and_hex():
    objects = cap.parse_snmprec("# a comment\n"
                                "1.3.6.1.2.1.1.1.0|4|Canon iR-ADV C5235 /P\n"
                                "1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.1602.4.7\n"
                                "1.3.6.1.2.1.2.2.1.6.1|4x|888717000000\n"
                                "1.3.6.1.2.1.43.10.2.1.4.1.1|65|121104\n"
                                "1.3.6.1.2.1.4.20.1.3.1.2.3.4|64|255.0.0.0\n"
                                "1.3.6.1.2.1.1.3.0|67|261702\n"
                                "1.3.6.1.2.1.43.11.1.1.9.1.1|2|-3\n"
                                "1.3.6.1.2.1.1.5.0|4|\n")
    assert objects[oid("1.3.6.1.2.1.1.1.0")] == (OCTET_STRING, b"Canon iR-ADV C5235 /P")
    assert objects[oid("1.3.6.1.2.1.1.2.0")] == (OBJECT_IDENTIFIER, oid("1.3.6.1.4.1.1602.4.7"))
    assert objects[oid("1.3.6.1.2.1.2.2.1.6.1")] == (OCTET_STRING, bytes.fromhex("888717000000"))
    assert objects[oid("1.3.6.1.2.1.43.10.2.1.4.1.1")] == (COUNTER32, 121104)
    assert objects[oid("1.3.6.1.2.1.4.20.1.3.1.2.3.4")] == (IP_ADDRESS, "255.0.0.0")
    assert objects[oid("1.3.6.1.2.1.1.3.0")] == (TIMETICKS, 261702)
    assert objects[oid("1.3.6.1.2.1.43.11.1.1.9.1.1")] == (INTEGER, -3)
    assert objects[oid("1.3.6.1.2.1.1.5.0")] == (OCTET_STRING, b"")
    with pytest.raises(cap.CaptureError, match="line 1"):
        cap.parse_snmprec("1.3.6.1.2.1.1.1.0|99|x")


def test_snmpwalk_on_output_with_enums_timeticks_hex_and_multiline_strings():
    objects = cap.parse_snmpwalk(
        '.1.3.6.1.2.1.1.1.0 = STRING: "Canon MF642C/643C/644C /P"\n'
        ".1.3.6.1.2.1.1.3.0 = Timeticks: (9120033) 1 day, 1:20:00.33\n"
        ".1.3.6.1.2.1.25.3.2.1.5.1 = INTEGER: running(2)\n"
        ".1.3.6.1.2.1.2.2.1.6.1 = Hex-STRING: F4 81 39 00 11 22 \n"
        ".1.3.6.1.2.1.25.3.2.1.2.1 = OID: .1.3.6.1.2.1.25.3.1.5\n"
        '.1.3.6.1.2.1.43.16.5.1.2.1.1 = STRING: "Ready to\nprint."\n'
        '.1.3.6.1.2.1.1.5.0 = ""\n'
        ".1.3.6.1.4.1.1602.1.11.2.1.1.3.1 = Counter32: 9026\n")
    assert objects[oid("1.3.6.1.2.1.1.3.0")] == (TIMETICKS, 9120033)
    assert objects[oid("1.3.6.1.2.1.25.3.2.1.5.1")] == (INTEGER, 2)
    assert objects[oid("1.3.6.1.2.1.2.2.1.6.1")].value == bytes.fromhex("F48139001122")
    assert objects[oid("1.3.6.1.2.1.25.3.2.1.2.1")].value == oid("1.3.6.1.2.1.25.3.1.5")
    assert objects[oid("1.3.6.1.2.1.43.16.5.1.2.1.1")].value == b"Ready to\nprint."
    assert objects[oid("1.3.6.1.2.1.1.5.0")].value == b""
    assert objects[oid("1.3.6.1.4.1.1602.1.11.2.1.1.3.1")] == (COUNTER32, 9026)
    with pytest.raises(cap.CaptureError, match="snmpwalk -On"):
        cap.parse_snmpwalk("SNMPv2-MIB::sysDescr.0 = STRING: x\n")


@pytest.mark.parametrize("name", CAPTURES)
def test_a_device_served_from_a_capture_answers_exactly_the_capture(name):
    objects = cap.load_capture(os.path.join(cap.CAPTURE_DIR, name))
    assert objects, name
    [device] = build_fleet(network="127.140.9.0/24", captures=[name])
    assert device.address == "127.140.9.1" and device.profile["capture"].endswith(name)
    for key, value in objects.items():
        if key[:len(cap.IP_ADDR_TABLE)] == cap.IP_ADDR_TABLE:
            assert device.mib.get(key) is None          # the capture's addresses are replaced ...
        else:
            assert device.mib.get(key) == value, (name, key)
    assert device.mib.get(oid("1.3.6.1.2.1.4.20.1.1.127.140.9.1")) == (IP_ADDRESS, "127.140.9.1")   # ... by its own
    before = dict(device.mib.items())
    device.print_pages(10)                               # a replay: jobs do not move captured values
    assert dict(device.mib.items()) == before
    assert device.state()["counters"] == {}


def test_capture_identity_serial_and_mac_come_from_the_capture():
    [lbp, brother] = build_fleet(network="127.140.9.0/24",
                                 captures=["canon-lbp6670.snmprec", "brother-mfc-l2710dw.snmprec"])
    assert (lbp.serial, lbp.mac) == ("MKRA012345", "88:87:17:00:00:00")
    assert brother.mac == "3C:2A:F4:BF:F5:1B"


def test_profile_option_and_spec_entry_take_a_capture_and_bad_files_are_refused(tmp_path):
    catalog = dict(load_profiles())
    catalog["my-printer"] = {"id": "my-printer", "capture": "sharp-mx-3570n.snmprec", "printer": True,
                             "snmp": {"versions": ["2c"], "communities": {"private-ro": "ro"}}}
    devices = build_fleet(network="127.140.9.0/24", catalog=catalog, spec={"devices": [
        {"address": "127.140.9.7", "profile": "my-printer"},
        {"address": "127.140.9.8", "capture": "canon-mf642c.walk"}]})
    sharp, mf = devices
    assert sharp.mib.get(oid("1.3.6.1.2.1.43.10.2.1.4.1.1")) == (COUNTER32, 121104)
    assert sharp.community_access(1, b"private-ro") == "ro" and sharp.community_access(1, b"public") is None
    assert mf.mib.get(oid(NAMED + ".3.17")) == (COUNTER32, 354)
    bad = tmp_path / "bad.snmprec"
    bad.write_text("1.3.6.1.2.1.1.1.0|4|x\n1.3.6|zz|1\n")
    with pytest.raises(FleetError, match="bad.snmprec line 2"):
        build_fleet(network="127.140.9.0/24", captures=[str(bad)])
    with pytest.raises(FleetError, match="not found"):
        build_fleet(network="127.140.9.0/24", captures=["nope.snmprec"])


# --- counter tables of every profile ---------------------------------------------------------------------------

def _walk(device, prefix):
    root = oid(prefix)
    return {k[len(root):]: v.value for k, v in device.mib.items() if k[:len(root)] == root}


def _tables(device):
    display, all_rows, named = _walk(device, DISPLAY), _walk(device, ALL), _walk(device, NAMED)
    walked = {}
    for (col, *index), value in display.items():
        walked.setdefault(tuple(index), {})[{2: "display_code", 3: "display_name", 4: "display_value"}[col]] = value
    for (col, *index), value in all_rows.items():
        walked.setdefault(tuple(index), {})[{2: "all_code", 3: "all_name", 4: "all_value"}[col]] = value
    for (col, *index), value in named.items():
        walked.setdefault(tuple(index), {})[{2: "named_name", 3: "named_value"}[col]] = value
    return walked, display, all_rows, named


PROFILES = sorted(load_profiles())


@pytest.mark.parametrize("profile_id", PROFILES)
def test_no_profile_publishes_one_counter_twice_with_different_values(profile_id):
    device = SimDevice("127.140.9.1", load_profiles()[profile_id], seed=5)
    if device.profile.get("printer"):
        device.print_pages(37, size="A3" if device.profile.get("max_size") == "A3" else "A4",
                           color=bool(device.profile.get("color")))
    walked, display, all_rows, named = _tables(device)
    by_id, by_name = {}, {}
    for (col, cid), value in list(all_rows.items()) + list(display.items()):
        if col == 4:
            assert by_id.setdefault(cid, value) == value, (profile_id, cid)
    for (col, cid), label in all_rows.items():
        if col == 3 and label:
            by_name[label] = all_rows[(4, cid)]
    labels = {}
    for (col, position), value in named.items():
        if col == 2:
            labels[position] = value
    for position, label in labels.items():
        value = named[(3, position)]
        assert by_name.setdefault(label, value) == value, (profile_id, label)
    readings, warnings = counters.merge_counters(counters.rows_from_walk(walked))
    assert warnings == [], profile_id
    keys = [r["key"] for r in readings]
    assert len(keys) == len(set(keys))


def test_ir_adv_profiles_publish_three_tables_and_mf_only_the_name_value_table():
    profiles = load_profiles()
    for pid in ("ir-adv-c5535-iii", "ir-adv-dx-c5840"):
        device = SimDevice("127.140.9.1", profiles[pid], seed=5)
        walked, display, all_rows, named = _tables(device)
        all_ids = sorted(i for (c, i) in all_rows if c == 4)
        assert len(all_ids) == 39 and {229, 230, 321, 322} <= set(all_ids)
        assert {i for (c, i) in display if c == 4} < set(all_ids)
        # every counter again in the name/value table, by position, names only
        assert [named[(2, p)] for p in range(1, len(all_ids) + 1)] == [all_rows[(3, i)] for i in all_ids]
        readings, _ = counters.merge_counters(counters.rows_from_walk(walked))
        assert [r["id"] for r in readings] == all_ids
        assert all("named" in r["tables"] for r in readings)
    mf = SimDevice("127.140.9.1", profiles["mf642c"], seed=5)
    _, display, all_rows, named = _tables(mf)
    assert not display and not all_rows and named
