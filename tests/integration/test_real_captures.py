"""canon_counters, canon_device_info and discovery on public captures of real printers, served by the simulator
from the captures' own data (simulator/captures/, sources in each file's header and README), plus the iR-ADV
profiles that publish the three Canon counter tables as real devices do."""

from __future__ import annotations

import csv
import json
import subprocess

import openpyxl
import pytest
import yaml

from tests.integration.simfleet import ROOT, SimulatedFleet, ansible_env, ansible_module, bin_path, worker_octet

CAPTURED = {
    # address suffix -> (capture file, expected identity)
    "7.1": ("canon-lbp6670.snmprec", {"vendor": "Canon", "model": "LBP6670", "serial": "MKRA012345",
                                      "firmware": "R7.21", "mac": "88:87:17:00:00:00"}),
    "7.2": ("canon-ir-adv-c5235.snmprec", {"vendor": "Canon", "model": "iR-ADV C5235", "serial": None,
                                           "firmware": None, "mac": None}),
    "7.3": ("canon-mf642c.walk", {"vendor": "Canon", "model": "MF642C/643C/644C", "serial": None, "mac": None}),
    "7.4": ("sharp-mx-3570n.snmprec", {"vendor": "Sharp", "model": "SHARP MX-3570N", "serial": "6509415X00",
                                       "firmware": None, "mac": "24:31:84:C8:46:6A"}),
    "7.5": ("xerox-altalink-c8045.snmprec", {"vendor": "Xerox", "model": "Xerox AltaLink C8045", "serial": None,
                                             "firmware": "100.002.057.09608", "mac": None}),
    "7.6": ("brother-mfc-l2710dw.snmprec", {"vendor": "Brother", "model": "Brother MFC-L2710DW series",
                                            "serial": "000A5J431816", "firmware": "Firmware Ver.Q",
                                            "mac": "3C:2A:F4:BF:F5:1B"}),
    "7.7": ("epson-wf-c5790.snmprec", {"vendor": "Epson", "model": "EPSON WF-C5790BA", "serial": "X3B8022793",
                                       "firmware": None, "mac": "9C:AE:D3:AA:D6:C5"}),
    # firmware 2.20: sysDescr "RICOH Aficio MP C3002 2.20 / ..." and Ricoh's 367.3.2.1.1.1.2.0
    "7.8": ("ricoh-mp-c3002.snmprec", {"vendor": "Ricoh", "model": "RICOH Aficio MP C3002", "serial": "W492KB03439",
                                       "firmware": "2.20", "mac": "00:26:73:54:E2:6A"}),
    # firmware only in Konica Minolta's 18334.1.1.1.1.6.1.0 = "1.102"
    "7.9": ("konica-minolta-bizhub-c250i.snmprec", {"vendor": "Konica Minolta", "model": "KONICA MINOLTA bizhub C250i",
                                                    "serial": "AA2M021115700", "firmware": "1.102",
                                                    "mac": "00:20:6B:4A:F3:25"}),
    # ifIndex 1 is LOOPBACK with no address: the MAC is ifIndex 2's 14cb19952ea0. Firmware: HP's datecode object
    # 01 15 "20201023" (two prefix bytes, then the date code)
    "7.10": ("hp-laserjet-m130nw.snmprec", {"vendor": "HP", "model": "HP LaserJet MFP M130nw", "serial": "VNCRC48198",
                                            "firmware": "20201023", "mac": "14:CB:19:95:2E:A0"}),
    # sysDescr "Samsung M4080FX; V11.01.03.04_02-27-2017;...;S/N " - version 11.01.03.04, empty serial;
    # hrDeviceDescr "Samsung M408x Series" is the standard MIB's model name
    "7.11": ("samsung-m4080fx.snmprec", {"vendor": "Samsung", "model": "Samsung M408x Series", "serial": None,
                                         "firmware": "11.01.03.04", "mac": "84:25:19:1D:EB:52"}),
    "7.12": ("canon-tm-5300.snmprec", {"vendor": "Canon", "model": "TM-5300", "serial": None, "firmware": "01.21",
                                       "mac": "74:BF:C0:DA:4A:3D"}),
    "7.13": ("canon-d1180-mf6680.snmprec", {"vendor": "Canon", "model": "D1180/MF6680", "serial": None,
                                            "firmware": None, "mac": None}),
    # hrDeviceDescr "Dell S5830dn 7XQ1R92 LW62.DN4.P636": model, service tag (the serial's first part), engine
    # firmware; sysDescr "Dell S5830dn version NH62.YS.N636 kernel 3.0.0 All-N-1"; ifIndex 1 "lo" has no MAC
    "7.14": ("dell-s5830dn.snmprec", {"vendor": "Dell", "model": "Dell S5830dn", "serial": "7XQ1R92-132-13",
                                      "firmware": "NH62.YS.N636", "mac": "00:21:B7:43:F5:81"}),
    # sysDescr "OKI OkiLAN 9450g Rev.00.69 ... PrintServer: Attached to MC873 Rev.07.87 : ..."
    "7.15": ("oki-mc873.snmprec", {"vendor": "OKI", "model": "MC873", "serial": None, "firmware": "07.87",
                                   "mac": "00:25:36:D1:A6:5E"}),
    "7.16": ("fujifilm-apeos-c7580.snmprec", {"vendor": "Fujifilm", "model": "FUJIFILM Apeos C7580",
                                              "serial": "TC101642170085", "firmware": None,
                                              "mac": "1C:7D:22:65:C8:50"}),
    # Kyocera enterprise 1347 and sysDescr "TA_UTAX Printing System" (a Kyocera engine sold as UTAX/TA; public
    # inventory tools report such devices as Kyocera); serial/firmware only in Kyocera's 1347.43.5 objects
    "7.17": ("utax-p-4532dn.snmprec", {"vendor": "Kyocera", "model": "P-4532DN", "serial": "R9L0309954",
                                       "firmware": "2TP_S000.003.402", "mac": "00:17:C8:94:5F:14"}),
    # real iR-ADV walks with all three counter tables (pseudonymised by their publisher; no ifTable, so no MAC)
    "7.18": ("canon-ir-adv-c5535-iii.snmprec", {"vendor": "Canon", "model": "iR-ADV C5535 III", "serial": "SN-SINT-1",
                                                "firmware": "16.12", "mac": None}),
    "7.19": ("canon-ir-adv-c5840.snmprec", {"vendor": "Canon", "model": "iR-ADV C5840", "serial": "SN-SINT-1",
                                            "firmware": "19.43", "mac": None}),
    "7.20": ("canon-ir-adv-c3822.snmprec", {"vendor": "Canon", "model": "iR-ADV C3822", "serial": "SN-SINT-1",
                                            "firmware": "19.43", "mac": None}),
}
CANON_CAPTURES = ("7.1", "7.2", "7.3", "7.12", "7.13", "7.18", "7.19", "7.20")
# The 39 counters of the iR-ADV walks' all table (1602.1.11.1.4.1.{2,3,4}.<id>), value by ID, read off each file;
# the walks publish the same counters again by position in the name/value table, and 112/113/122/123/301/501 in
# the display table.
IRADV_IDS = (101, 102, 103, 104, 108, 110, 111, 112, 113, 114, 118, 122, 123, 127, 133, 148, 201, 202, 203, 222, 229,
             230, 231, 232, 301, 321, 322, 324, 401, 402, 501, 701, 702, 711, 712, 715, 716, 725, 726)
IRADV_VALUES = {
    "7.18": (267625, 274445, 6820, 260805, 159890, 0, 1, 3380, 156510, 25222, 1, 3440, 104295, 202906, 112535, 90371,
             71213, 71539, 326, 50735, 112, 20580, 20804, 20692, 196412, 3328, 83715, 87043, 3440, 104294, 169075,
             0, 0, 0, 0, 0, 0, 0, 0),
    "7.19": (213402, 214389, 987, 212415, 203021, 0, 5, 605, 202416, 3364, 5, 382, 9999, 199652, 189163, 10489, 14671,
             14737, 66, 14463, 8, 258, 274, 266, 198731, 374, 9741, 10115, 382, 9994, 91977, 0, 0, 0, 0, 0, 0, 0, 0),
    "7.20": (47409, 56852, 9443, 37966, 23618, 0, 0, 999, 22619, 11443, 0, 8444, 15347, 48516, 16664, 31852, 7725, 8336,
             611, 7953, 26, 331, 383, 357, 39684, 8418, 15016, 23434, 8444, 15347, 5814, 0, 0, 0, 0, 0, 0, 0, 0),
}
IRADV_LIFE = {"7.18": 267625, "7.19": 213402, "7.20": 47409}     # prtMarkerLifeCount of each walk
# What each capture publishes as counters: {reading key: (id, value)}; None = no counter at all.
CAPTURE_COUNTERS = {
    "7.1": None, "7.2": None, "7.5": None, "7.6": None, "7.7": None,
    "7.3": {"101": (101, 9026), "201": (201, 354), "301": (301, 8672),
            "prtMarkerLifeCount": ("prtMarkerLifeCount", 9026)},
    "7.4": {"prtMarkerLifeCount": ("prtMarkerLifeCount", 121104)},
    "7.8": {"prtMarkerLifeCount": ("prtMarkerLifeCount", 271871)},
    "7.9": {"prtMarkerLifeCount": ("prtMarkerLifeCount", 33810)},
    "7.10": {"prtMarkerLifeCount": ("prtMarkerLifeCount", 15232)},
    "7.11": {"prtMarkerLifeCount": ("prtMarkerLifeCount", 22934)},
    "7.12": {"prtMarkerLifeCount": ("prtMarkerLifeCount", 21588)},
    "7.13": None, "7.14": None, "7.15": None, "7.16": None,
    "7.17": {"prtMarkerLifeCount": ("prtMarkerLifeCount", 427)},
}
for _suffix, _values in IRADV_VALUES.items():
    CAPTURE_COUNTERS[_suffix] = dict({str(i): (i, v) for i, v in zip(IRADV_IDS, _values)},
                                     prtMarkerLifeCount=("prtMarkerLifeCount", IRADV_LIFE[_suffix]))


@pytest.fixture(scope="module")
def net() -> str:
    return "127.%d" % worker_octet(70)        # 127.70.x: this file's own range (third octets 7 and 8)


@pytest.fixture(scope="module")
def sim(net):
    devices = [{"address": "%s.%s" % (net, suffix), "capture": name} for suffix, (name, _) in CAPTURED.items()]
    devices += [{"address": net + ".8.1", "profile": "ir-adv-c5535-iii", "sys_name": "hq-c5535",
                 "sys_location": "HQ, floor 3, copy room"},
                {"address": net + ".8.2", "profile": "ir-adv-dx-c5840"}]
    fleet = SimulatedFleet({"seed": 7, "devices": devices}, extra_args=["--no-http"])
    yield fleet
    fleet.stop()


def test_canon_counters_one_reading_per_counter_equal_to_the_capture(sim, net):
    targets = [{"host": "%s.%s" % (net, s), "name": s} for s in CAPTURED] + \
              [{"host": net + ".8.1", "name": "c5535"}, {"host": net + ".8.2", "name": "c5840"}]
    result = ansible_module("printfleet.canon.canon_counters",
                            {"targets": targets, "snmp_port": sim.port, "timeout": 2, "retries": 1})
    assert result["_rc"] == 0, result["_stdout"]
    by_name = {r["name"]: r for r in result["results"]}
    for suffix, expected in CAPTURE_COUNTERS.items():
        got = by_name[suffix]
        if expected is None:
            assert got["failed"] and got["error_code"] == "counters_unavailable", (suffix, got)
            continue
        assert got["failed"] is False, got
        assert {c["key"]: (c["id"], c["value"]) for c in got["counters"]} == expected, suffix
        assert got["warnings"] == []
    # prtMarkerCounterUnit as each capture publishes it (RFC 3805: 7 impressions, 8 sheets)
    published_units = {"7.4": "impressions", "7.8": "sheets", "7.10": "impressions", "7.11": "impressions",
                       "7.12": "sheets", "7.17": "impressions"}
    for suffix, unit in published_units.items():
        [life] = [c for c in by_name[suffix]["counters"] if c["key"] == "prtMarkerLifeCount"]
        assert life["unit"] == unit, suffix
    # the real iR-ADV walks: one reading per counter across the three tables, the device's IDs and names
    for suffix in IRADV_VALUES:
        by_id = {c["id"]: c for c in by_name[suffix]["counters"]}
        assert len(by_name[suffix]["counters"]) == 40, suffix                  # 39 Canon counters + life count
        assert all(by_id[i]["id_source"] == "device" for i in IRADV_IDS)
        assert all(set(by_id[i]["tables"]) == ({"all", "named", "display"} if i in (112, 113, 122, 123, 301, 501)
                                               else {"all", "named"}) for i in IRADV_IDS), suffix
        assert (by_id[127]["name"], by_id[231]["name"]) == ("Total A2", "Copy (Full Color + Single Color/2)")
        assert [by_id[i]["category"] for i in (321, 322, 229, 230)] == ["print", "print", "copy", "copy"]
        assert 403 not in by_id and 407 not in by_id
    mf = {c["key"]: c for c in by_name["7.3"]["counters"]}
    assert mf["101"]["id_source"] == "catalog" and mf["prtMarkerLifeCount"]["id_source"] == "standard"
    # iR-ADV profiles: three tables, one reading per counter, every ID the device's, every value the device's
    for name, address in (("c5535", net + ".8.1"), ("c5840", net + ".8.2")):
        got = by_name[name]
        state = sim.state(address)
        canon = [c for c in got["counters"] if c["id"] != "prtMarkerLifeCount"]
        assert sorted(c["id"] for c in canon) == sorted(int(k) for k in sim.device(address)["counters"]
                                                        if int(k) in IRADV_ALL)
        assert len({c["key"] for c in got["counters"]}) == len(got["counters"])
        assert all(c["id_source"] == "device" and "named" in c["tables"] for c in canon)
        assert all(c["value"] == state["counters"][str(c["id"])] for c in canon)
        by_id = {c["id"]: c for c in canon}
        assert (by_id[321]["category"], by_id[229]["category"]) == ("print", "copy")
        assert got["warnings"] == []
    # a counter the device lacks is a warning naming it, never a value
    one = ansible_module("printfleet.canon.canon_counters",
                         {"host": net + ".8.1", "snmp_port": sim.port, "counters": ["403", "321"]})
    [device] = one["results"]
    assert [c["id"] for c in device["counters"]] == [321]
    assert any("403" in w for w in device["warnings"])
    # ... and on a real iR-ADV walk, which numbers that counter 321 (value 3328 in the C5535 III's all table)
    one = ansible_module("printfleet.canon.canon_counters",
                         {"host": net + ".7.18", "snmp_port": sim.port, "counters": ["403", "321"]})
    [device] = one["results"]
    assert [(c["id"], c["value"]) for c in device["counters"]] == [(321, 3328)]
    assert any("403" in w for w in device["warnings"])


IRADV_ALL = {101, 102, 103, 104, 105, 106, 108, 109, 112, 113, 114, 122, 123, 124, 125, 201, 202, 203, 204, 221, 222,
             227, 228, 229, 230, 301, 302, 303, 304, 313, 319, 320, 321, 322, 501, 503, 504, 507, 508}   # 39, as real


@pytest.mark.parametrize("suffix", sorted(CAPTURED))
def test_canon_device_info_identity_of_each_capture(sim, net, suffix):
    result = ansible_module("printfleet.canon.canon_device_info",
                            {"host": "%s.%s" % (net, suffix), "snmp_port": sim.port, "timeout": 2, "retries": 1,
                             "gather_subset": ["identity"]})
    assert result["_rc"] == 0, result["_stdout"]
    ident = result["identity"]
    expected = CAPTURED[suffix][1]
    assert {k: ident[k] for k in expected} == expected
    assert ident["is_printer"] is True
    if suffix in IRADV_VALUES:
        assert (ident["family"], ident["printer_evidence"]) == ("ir-adv", "printer_mib")
    if suffix in ("7.2", "7.13"):   # Canon sysObjectID + printer sysDescr, no Printer-MIB: says what it could not read
        assert ident["printer_evidence"] == "canon_sys_object_id"
        assert ident["unread"] and "Printer-MIB" in ident["unread"][0]     # also given as a warning


def test_discovery_puts_each_capture_in_the_right_group(sim, net, tmp_path):
    config = {"plugin": "printfleet.canon.discovery", "include": "printers",
              "regions": [{"name": "captures", "networks": [net + ".7.0/24", net + ".8.0/24"]}],
              "credentials": [{"name": "public", "version": "2c", "community": "public"}],
              "port": sim.port, "timeout": 1, "retries": 1, "rate": 20000}
    path = tmp_path / "real.canon.yml"
    path.write_text(yaml.safe_dump(config))
    proc = subprocess.run([bin_path("ansible-inventory"), "-i", str(path), "--list"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env=ansible_env())
    assert proc.returncode == 0, proc.stderr
    inv = json.loads(proc.stdout)
    hostvars = {host: {k: (v["__ansible_unsafe"] if isinstance(v, dict) and "__ansible_unsafe" in v else v)
                       for k, v in hv.items()} for host, hv in inv["_meta"]["hostvars"].items()}
    by_address = {hv["canon_address"]: host for host, hv in hostvars.items()}

    def members(group):
        return {hostvars[h]["canon_address"] for h in inv.get(group, {}).get("hosts", [])}

    canon = {"%s.%s" % (net, s) for s in CANON_CAPTURES} | {net + ".8.1", net + ".8.2"}
    others = {"%s.%s" % (net, s) for s in CAPTURED if s not in CANON_CAPTURES}
    assert len({CAPTURED[s][1]["vendor"] for s in CAPTURED if s not in CANON_CAPTURES}) >= 5   # makers
    assert members("canon") == canon
    assert members("other_printers") == others
    for suffix, (_, expected) in CAPTURED.items():
        host = by_address["%s.%s" % (net, suffix)]
        assert hostvars[host]["canon_vendor"] == expected["vendor"]
        assert hostvars[host]["canon_model"] == expected["model"]
        if "serial" in expected:          # Brother's serial from its own object (a second GET for that maker)
            assert hostvars[host]["canon_serial"] == expected["serial"], suffix
    assert members("vendor_sharp") == {net + ".7.4"} and members("vendor_xerox") == {net + ".7.5"}
    assert members("vendor_brother") == {net + ".7.6"} and members("vendor_epson") == {net + ".7.7"}
    assert members("vendor_ricoh") == {net + ".7.8"} and members("vendor_konica_minolta") == {net + ".7.9"}
    assert members("vendor_hp") == {net + ".7.10"} and members("vendor_samsung") == {net + ".7.11"}
    assert members("vendor_dell") == {net + ".7.14"} and members("vendor_oki") == {net + ".7.15"}
    assert members("vendor_fujifilm") == {net + ".7.16"} and members("vendor_kyocera") == {net + ".7.17"}


def test_counter_report_summary_names_each_device_by_sysname_and_location(sim, net, tmp_path):
    """Capture into a store, report: the summary sheet (and its CSV twin) has one row per device with region,
    model, serial and the device's own name (sysName) and location (sysLocation)."""
    store = {"path": str(tmp_path / "counters.sqlite")}
    targets = [{"host": net + ".8.1", "name": "c5535", "region": "hq"},
               {"host": net + ".7.8", "name": "ricoh", "region": "branch"},
               {"host": net + ".7.9", "name": "konica", "region": "branch"}]
    for when in ("2024-04-01T08:00:00Z", "2024-04-30T08:00:00Z"):
        result = ansible_module("printfleet.canon.canon_counters",
                                {"targets": targets, "snmp_port": sim.port, "timeout": 2, "retries": 1,
                                 "store": store, "capture_time": when})
        assert result["_rc"] == 0, result["_stdout"]
    by_name = {r["name"]: r for r in result["results"]}
    assert (by_name["c5535"]["sys_name"], by_name["c5535"]["location"]) == ("hq-c5535", "HQ, floor 3, copy room")
    c5535 = sim.device(net + ".8.1")["serial"]
    expected = {  # serial -> (region, model, name, location); the LibreNMS captures publish "<private>"
        c5535: ("hq", "iR-ADV C5535", "hq-c5535", "HQ, floor 3, copy room"),
        "W492KB03439": ("branch", "RICOH Aficio MP C3002", "<private>", "<private>"),
        "AA2M021115700": ("branch", "KONICA MINOLTA bizhub C250i", None, "<private>"),   # no sysName in it
    }
    dest = str(tmp_path / "report.xlsx")
    report = ansible_module("printfleet.canon.canon_counter_report",
                            {"store": store, "reports": ["summary"], "period": "monthly", "as_of": "2024-04-30",
                             "dest": dest})
    assert report["_rc"] == 0, report["_stdout"]
    sheet = openpyxl.load_workbook(dest)["Summary"]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0][:rows[0].index(None)])
    devices = [dict(zip(header, r)) for r in rows[1:] if r[0] == "device"]
    got = {r["Serial number"]: (r["Region"], r["Model"], r["Name"], r["Location"]) for r in devices}
    assert got == expected
    csv_dest = str(tmp_path / "report.csv")
    report = ansible_module("printfleet.canon.canon_counter_report",
                            {"store": store, "reports": ["summary"], "period": "monthly", "as_of": "2024-04-30",
                             "format": "csv", "dest": csv_dest})
    assert report["_rc"] == 0, report["_stdout"]
    with open(csv_dest, encoding="utf-8-sig") as fh:
        lines = [line for line in csv.DictReader(fh) if line["row_type"] == "device"]
    assert {line["serial"]: (line["region"], line["model"], line["name"] or None, line["location"] or None)
            for line in lines} == expected
