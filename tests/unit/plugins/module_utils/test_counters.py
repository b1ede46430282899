"""The counter catalog, label mapping, table merging, selection and bulk capture of module_utils/counters/capture.py."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from ansible_collections.printfleet.canon.plugins.module_utils.counters import capture as counters
from ansible_collections.printfleet.canon.plugins.module_utils.transport import oids
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.transport.snmp import (
    NO_SUCH, SnmpCredentials, SnmpTarget)

CONFIRMED_PAIRS = {101: "Total 1", 102: "Total 2", 103: "Total (Large)", 104: "Total (Small)", 108: "Total (Black 1)",
                   109: "Total (Black 2)", 112: "Total (Black/Large)", 113: "Total (Black/Small)",
                   116: "Large (2-Sided)", 117: "Small (2-Sided)",
                   122: "Total (Full Color + Single Color/Large)", 123: "Total (Full Color + Single Color/Small)",
                   124: "Total (Full Color + Single Color 2)", 201: "Copy (Total 1)",
                   229: "Copy (Full Color + Single Color/Large)", 230: "Copy (Full Color + Single Color/Small)",
                   301: "Print (Total 1)", 321: "Print (Full Color + Single Color/Large)",
                   322: "Print (Full Color + Single Color/Small)", 471: "Total (Long Sheet)",
                   473: "Total (Black & White/Long Sheet)", 475: "Total (Full Color + Single Color/Long Sheet)",
                   501: "Scan (Total 1)", 503: "Scan (Large)", 504: "Scan (Small)", 507: "Black Scan (Large)",
                   508: "Black Scan (Small)",
                   # real iR-ADV walks with the three tables (simulator/captures/canon-ir-adv-*.snmprec)
                   110: "Total (Single Color/Large)", 111: "Total (Single Color/Small)", 114: "Total 1 (2-Sided)",
                   118: "Total (Single Color 1)", 127: "Total A2", 133: "Total A (Black 2)",
                   148: "Total A (Full Color + Single Color 2)", 202: "Copy (Total 2)", 203: "Copy (Large)",
                   222: "Copy (Black 2)", 231: "Copy (Full Color + Single Color/2)",
                   232: "Copy (Full Color + Single Color/1)", 324: "Print (Full Color + Single Color/1)",
                   401: "Copy + Print (Full Color/Large)", 402: "Copy + Print (Full Color/Small)",
                   701: "Receive Print (Total 1)", 702: "Receive Print (Total 2)",
                   711: "Receive Print (Full Color/Large)", 712: "Receive Print (Full Color/Small)",
                   715: "Receive Print (Black/Large)", 716: "Receive Print (Black/Small)",
                   725: "Receive Print (Black/Large/2-Sided)", 726: "Receive Print (Black/Small/2-Sided)"}


# --- catalog -------------------------------------------------------------------------------------------

def test_confirmed_catalog_pairs_are_exactly_the_publicly_captured_ones():
    confirmed = {cid: e.name for cid, e in counters.CATALOG.items() if e.confirmed}
    assert confirmed == CONFIRMED_PAIRS
    for cid, entry in counters.CATALOG.items():
        assert entry.id == cid
        assert entry.category in counters.CATEGORIES and entry.category != "other"
        assert entry.unit == (counters.UNIT_SCANS if cid // 100 == 5 else counters.UNIT_IMPRESSIONS)


def test_catalog_never_holds_the_wrong_print_copy_pairs():
    # public captures: the device numbers "Print (Full Color + Single Color/Large)" 321, not 403
    c = counters.CATALOG
    assert (c[321].name, c[322].name) == ("Print (Full Color + Single Color/Large)",
                                          "Print (Full Color + Single Color/Small)")
    assert (c[229].name, c[230].name) == ("Copy (Full Color + Single Color/Large)",
                                          "Copy (Full Color + Single Color/Small)")
    assert c[403].name.startswith("Copy + Print (") and not c[403].confirmed


def test_catalog_categories_follow_the_device_names():
    c = counters.CATALOG
    assert (c[101].category, c[102].category, c[109].category, c[123].category) == ("total", "total", "black",
                                                                                    "colour")
    assert (c[321].category, c[322].category, c[229].category, c[230].category) == ("print", "print", "copy", "copy")
    assert (c[201].category, c[301].category, c[501].category) == ("copy", "print", "scan")
    assert (c[103].category, c[116].category, c[403].category) == ("size", "sides", "black")


def test_every_confirmed_catalog_name_maps_back_to_its_id_and_unconfirmed_names_do_not():
    assert len(counters.ALL_LABELS) == len(counters.CATALOG)   # no two names normalise alike
    for cid, entry in counters.CATALOG.items():
        assert counters.id_for_label(entry.name) == (cid if entry.confirmed else None)


@pytest.mark.parametrize("label,expected", [
    ("TOTAL 1", 101),
    ("  Total  (Black/Small) ", 113),
    ("Total ( Black / Small )", 113),
    ("Total (Full Colour + Single Colour/Large)", 122),
    ("Print (Full Color + Single Color /Large)", 321),
    ("Total (B&W/Long Sheet)", 473),
    ("Total (Black and White/Long Sheet)", 473),
    ("Copy (Total 1)", 201),
    ("Fax Print (Total 1)", None),
    ("Total 11", None),
    ("", None),
    (None, None),
])
def test_label_mapping_is_by_normalised_text(label, expected):
    assert counters.id_for_label(label) == expected


# --- walking and merging ---------------------------------------------------------------------------------

def walk(display=(), all_rows=(), named=()):
    """A fake side-by-side walk of WALK_COLUMNS: {index: {column: value}}."""
    out = {}
    for cid, code, name, value in display:
        out.setdefault((cid,), {}).update(display_code=code, display_name=name, display_value=value)
    for cid, code, name, value in all_rows:
        out.setdefault((cid,), {}).update(all_code=code, all_name=name, all_value=value)
    for index, name, value in named:
        out.setdefault((index,), {}).update(named_name=name, named_value=value)
    return out


def merged(walked, life=None, unit=None):
    return counters.merge_counters(counters.rows_from_walk(walked), life, unit)


def by_id(items):
    return {c["id"]: c for c in items}


def test_classic_display_table_string_codes_and_empty_names_use_catalog_names():
    found, warnings = merged(walk(display=[(101, b"101", b"", 5000), (108, b"108", b"", 3000)]))
    assert warnings == []
    c = by_id(found)
    assert c[101] == {"id": 101, "key": "101", "name": "Total 1", "category": "total", "unit": "impressions",
                      "value": 5000, "tables": ["display"], "id_source": "device"}
    assert c[108]["name"] == "Total (Black 1)"


def test_newer_display_table_integer_codes_and_names():
    found, warnings = merged(walk(display=[(101, 101, b"Total 1", 70), (124, 124, b"Total (Full Color + Single "
                                                                        b"Color 2)", 40)]))
    assert warnings == []
    assert by_id(found)[124]["name"] == "Total (Full Color + Single Color 2)"
    assert by_id(found)[124]["category"] == "colour"


def test_a_device_label_that_differs_from_the_catalog_keeps_the_device_name_and_id():
    found, warnings = merged(walk(all_rows=[(105, b"105", b"Total (Color 1)", 7), (101, b"101", b"TOTAL  1", 9)]))
    assert by_id(found)[105]["name"] == "Total (Color 1)" and by_id(found)[105]["id"] == 105
    assert by_id(found)[105]["category"] == "colour"
    assert warnings == ["the device calls counter 105 'Total (Color 1)' where the catalog has 'Total (Full Color 1)'; "
                        "the device's name and ID are used"]


def test_same_id_in_display_and_all_tables_prefers_all_and_lists_both():
    found, warnings = merged(walk(display=[(101, b"101", b"", 900)],
                                  all_rows=[(101, b"101", b"Total 1", 900), (102, b"102", b"Total 2", 990)]))
    assert warnings == []
    c = by_id(found)
    assert c[101]["tables"] == ["all", "display"] and c[101]["value"] == 900
    assert c[102]["tables"] == ["all"]


def test_tables_that_disagree_use_the_all_table_and_warn():
    found, warnings = merged(walk(display=[(101, b"101", b"", 899)], all_rows=[(101, b"101", b"Total 1", 900)]))
    assert by_id(found)[101]["value"] == 900
    assert len(warnings) == 1 and "all=900" in warnings[0] and "display=899" in warnings[0]


def test_named_table_maps_labels_not_indexes():
    # Two models list the same counters at different running indexes.
    mf = by_id(merged(walk(named=[(1, b"Total 1", 9026), (17, b"Copy (Total 1)", 354),
                                  (25, b"Print (Total 1)", 8672)]))[0])
    lbp = by_id(merged(walk(named=[(1, b"Total 1", 500), (4, b"Print (Total 1)", 500)]))[0])
    assert (mf[101]["value"], mf[201]["value"], mf[301]["value"]) == (9026, 354, 8672)
    assert lbp[301]["value"] == 500 and 4 not in lbp and 25 not in mf
    assert mf[201]["tables"] == ["named"] and mf[201]["name"] == "Copy (Total 1)"


def test_named_table_row_merges_with_an_id_table():
    found, _ = merged(walk(all_rows=[(101, b"101", b"Total 1", 10)], named=[(1, b"Total 1", 10)]))
    assert by_id(found)[101]["tables"] == ["all", "named"]


def test_unknown_ids_and_labels_are_kept_as_other_without_an_invented_id():
    found, warnings = merged(walk(
        all_rows=[(101, b"101", b"Total 1", 10), (601, b"601", b"Fax Receive (Total 1)", 7), (602, b"602", b"", 3)],
        named=[(40, b"Fax Print (Total 1)", 5), (41, b"", 6), (42, b"12345", 8)]))
    assert warnings == []
    c = by_id(found)
    assert c[601] == {"id": 601, "key": "601", "name": "Fax Receive (Total 1)", "category": "other",
                      "unit": "impressions", "value": 7, "tables": ["all"], "id_source": "device"}
    assert c[602]["name"] == "602" and c[602]["category"] == "other"
    by_key = {x["key"]: x for x in found}
    fax = by_key["Fax Print (Total 1)"]
    assert (fax["id"], fax["id_source"], fax["value"]) == (None, None, 5)
    assert by_key["named:41"]["value"] == 6 and by_key["named:41"]["id"] is None   # no label: its position
    assert by_key["named:12345"]["value"] == 8        # a label of digits never reads as a Canon ID
    assert [x["id"] for x in found][:3] == [101, 601, 602]


IRADV_ALL = [(101, "Total 1", 1000), (102, "Total 2", 1100), (108, "Total (Black 1)", 600),
             (112, "Total (Black/Large)", 50), (113, "Total (Black/Small)", 550),
             (122, "Total (Full Color + Single Color/Large)", 50), (123, "Total (Full Color + Single Color/Small)", 350),
             (229, "Copy (Full Color + Single Color/Large)", 10), (230, "Copy (Full Color + Single Color/Small)", 90),
             (321, "Print (Full Color + Single Color/Large)", 40),
             (322, "Print (Full Color + Single Color/Small)", 260), (501, "Scan (Total 1)", 77)]


def iradv_walk():
    """An iR-ADV as real ones publish it: the ID table, a short display table without names and the
    name/value table repeating every counter by position (names only)."""
    return walk(all_rows=[(cid, str(cid).encode(), name.encode(), v) for cid, name, v in IRADV_ALL],
                display=[(cid, str(cid).encode(), b"", v) for cid, _, v in IRADV_ALL if cid in (101, 108, 501)],
                named=[(pos, name.encode(), v) for pos, (_, name, v) in enumerate(IRADV_ALL, 1)])


def test_three_tables_give_one_reading_per_counter_under_the_device_ids():
    found, warnings = merged(iradv_walk(), life=995)
    assert warnings == []
    assert [c["id"] for c in found] == [cid for cid, _, _ in IRADV_ALL] + ["prtMarkerLifeCount"]
    assert all(c["id_source"] == "device" for c in found[:-1])
    c = by_id(found)
    assert c[321]["tables"] == ["all", "named"] and c[101]["tables"] == ["all", "display", "named"]
    assert {c[i]["category"] for i in (321, 322)} == {"print"} and {c[i]["category"] for i in (229, 230)} == {"copy"}
    assert not {403, 404, 407, 408} & set(c)
    assert all(c[cid]["value"] == v for cid, _, v in IRADV_ALL)


def test_a_requested_counter_the_device_lacks_is_a_warning_not_a_value():
    found, _ = merged(iradv_walk())
    chosen, warnings = counters.select_counters(found, counters.parse_selection(["403", 321]))
    assert [c["id"] for c in chosen] == [321]
    assert len(warnings) == 1 and "403" in warnings[0]


def test_named_row_without_an_id_gets_one_only_from_a_confirmed_exact_catalog_match():
    found, warnings = merged(walk(named=[(1, b"Total 1", 9026), (17, b"Copy (Total 1)", 354),
                                         (30, b"Copy + Print (Black/Large)", 12), (31, b"Toner Saver Prints", 4)]))
    assert warnings == []
    by_key = {c["key"]: c for c in found}
    assert (by_key["101"]["id"], by_key["101"]["id_source"]) == (101, "catalog")
    assert (by_key["201"]["id"], by_key["201"]["id_source"]) == (201, "catalog")
    unconfirmed = by_key["Copy + Print (Black/Large)"]      # the label's number is not publicly confirmed
    assert (unconfirmed["id"], unconfirmed["id_source"], unconfirmed["category"]) == (None, None, "black")
    assert by_key["Toner Saver Prints"]["id"] is None


def test_catalog_never_gives_a_named_row_an_id_the_device_uses_for_another_counter():
    found, warnings = merged(walk(all_rows=[(101, b"101", b"Grand Total", 50)], named=[(1, b"Total 1", 49)]))
    by_key = {c["key"]: c for c in found}
    assert by_key["101"]["name"] == "Grand Total" and by_key["Total 1"]["id"] is None
    assert any("kept without an ID" in w for w in warnings)


def test_named_row_with_the_same_name_but_another_value_merges_and_warns():
    found, warnings = merged(walk(all_rows=[(101, b"101", b"Total 1", 50)], named=[(1, b"Total 1", 51)]))
    assert len(found) == 1 and found[0]["value"] == 50 and found[0]["tables"] == ["all", "named"]
    assert len(warnings) == 1 and "51" in warnings[0]


def test_store_form_keeps_unnumbered_counters_by_label():
    found, _ = merged(walk(named=[(31, b"Toner Saver Prints", 4)]))
    result = {"failed": False, "name": "n", "address": "a", "serial": "S", "model": "M", "region": None,
              "timezone": None, "captured_at": "2024-03-31T22:00:00Z", "counters": found, "warnings": []}
    captures, _ = counters.store_captures([result])
    assert captures[0]["counters"][0]["id"] == "Toner Saver Prints"


def test_code_column_that_disagrees_with_the_index_warns_and_keeps_the_index():
    found, warnings = merged(walk(display=[(101, b"102", b"", 10)]))
    assert by_id(found)[101]["value"] == 10
    assert warnings and "code 102" in warnings[0]


def test_non_numeric_values_are_skipped_with_a_warning():
    found, warnings = merged(walk(all_rows=[(101, b"101", b"Total 1", b"n/a")]))
    assert found == [] and "non-numeric" in warnings[0]


def test_life_count_is_a_standard_counter_with_its_unit():
    found, _ = merged(walk(all_rows=[(101, b"101", b"Total 1", 2926)]), life=2913, unit=7)
    life = by_id(found)["prtMarkerLifeCount"]
    assert (life["value"], life["category"], life["unit"], life["tables"]) == (2913, "total", "impressions",
                                                                               ["printer_mib"])
    assert by_id(found)[101]["value"] == 2926          # they may differ; both are reported
    assert "prtMarkerLifeCount" not in by_id(merged(walk(), life=NO_SUCH)[0])
    assert by_id(merged(walk(), life=5, unit=8)[0])["prtMarkerLifeCount"]["unit"] == "sheets"


def test_rows_from_walk_ignores_rows_without_values():
    rows = counters.rows_from_walk({(101,): {"display_code": b"101", "display_name": b""},
                                    (102,): {"all_value": NO_SUCH}})
    assert rows == []


# --- selection ---------------------------------------------------------------------------------------------

SAMPLE = merged(walk(display=[(101, b"101", b"", 100), (501, b"501", b"", 5)],
                     all_rows=[(101, b"101", b"Total 1", 100), (108, b"108", b"Total (Black 1)", 60),
                               (122, b"122", b"Total (Full Color + Single Color/Large)", 4),
                               (301, b"301", b"Print (Total 1)", 90), (777, b"777", b"Mystery", 1)],
                     named=[(3, b"Copy (Total 1)", 10)]), life=99)[0]


def ids(items):
    return [c["id"] for c in items]


def test_selection_all_by_default():
    chosen, warnings = counters.select_counters(SAMPLE, counters.parse_selection(None))
    assert ids(chosen) == [101, 108, 122, 201, 301, 501, 777, "prtMarkerLifeCount"] and warnings == []


def test_selection_by_id_and_category():
    chosen, warnings = counters.select_counters(SAMPLE, counters.parse_selection(["301", 108, "colour", "scan"]))
    assert ids(chosen) == [108, 122, 301, 501] and warnings == []
    chosen, _ = counters.select_counters(SAMPLE, counters.parse_selection(["total"]))
    assert ids(chosen) == [101, "prtMarkerLifeCount"]
    chosen, _ = counters.select_counters(SAMPLE, counters.parse_selection(["other", "color", "life_count"]))
    assert ids(chosen) == [122, 777, "prtMarkerLifeCount"]


def test_requested_id_missing_over_snmp_warns_about_the_canon_protocol():
    chosen, warnings = counters.select_counters(SAMPLE, counters.parse_selection([101, 106, 109]))
    assert ids(chosen) == [101]
    [warning] = warnings
    assert "106 (Total (Full Color 2))" in warning and "109 (Total (Black 2))" in warning
    assert "47545" in warning and "Dedicated Port Settings" in warning


def test_service_mode_counters_come_from_the_id_tables_only():
    selection = counters.parse_selection(["total"], [777, 201, 1234])
    chosen, warnings = counters.select_counters(SAMPLE, selection)
    # 777 is in the all table; 201 only in the named table (a label, not a device ID); 1234 nowhere
    assert ids(chosen) == [101, 777, "prtMarkerLifeCount"]
    [warning] = warnings
    assert "201, 1234" in warning and "service-mode" in warning and "Dedicated Port Settings" in warning


@pytest.mark.parametrize("items,service", [(["bogus"], []), ([-1], []), (["all"], ["x"]), (["all"], [-4]),
                                           (["all"], [True])])
def test_bad_selections_are_refused_before_any_packet(items, service):
    with pytest.raises(CanonError) as err:
        counters.parse_selection(items, service)
    assert err.value.error_code == "invalid_argument"


# --- capture times -------------------------------------------------------------------------------------------

def test_capture_time_parsing_and_formatting():
    moment = counters.parse_capture_time("2024-03-31T22:00:00Z")
    assert moment == datetime(2024, 3, 31, 22, tzinfo=timezone.utc)
    assert counters.utc_text(moment) == "2024-03-31T22:00:00Z"
    assert counters.utc_text(counters.parse_capture_time("2024-04-01T00:00:00.5+02:00")) == \
        "2024-03-31T22:00:00.500000Z"
    assert counters.parse_capture_time(None) is None and counters.parse_capture_time("") is None
    for bad in ("2024-03-31T22:00:00", "yesterday"):
        with pytest.raises(CanonError) as err:
            counters.parse_capture_time(bad)
        assert err.value.error_code == "invalid_argument"


# --- capture of many devices (fake SNMP client) ---------------------------------------------------------------

CANON_GET = {
    oids.SYS_DESCR: b"Canon iR-ADV C5535 /P", oids.SYS_OBJECT_ID: "1.3.6.1.4.1.1602.4.7",
    oids.HR_DEVICE_TYPE_1: oids.HR_DEVICE_PRINTER, oids.HR_DEVICE_DESCR_1: b"Canon iR-ADV C5535",
    oids.PRT_GENERAL_SERIAL_1: b"2XA00001", oids.PRT_MARKER_COUNTER_UNIT_1: 7, oids.PRT_MARKER_LIFE_COUNT_1: 95,
    oids.CANON_PRODUCT_NAME: b"iR-ADV C5535", oids.CANON_SERIAL: b"2XA00001",
    oids.CANON_SERIAL_DEVICE_NUMBER: b"2XA00001",
}
NAS_GET = {oids.SYS_DESCR: b"Linux nas01", oids.SYS_OBJECT_ID: "1.3.6.1.4.1.8072.3.2.10"}


class FakeClient:
    """get/walk_columns answered from a dict per host; 'dead' hosts time out."""

    def __init__(self, devices):
        self.devices = devices
        self.calls = []

    async def get(self, target, wanted):
        self.calls.append(("get", target.host))
        device = self._device(target)
        return {o: device["get"].get(o, NO_SUCH) for o in wanted}

    async def walk_columns(self, target, columns, **_):
        self.calls.append(("walk", target.host))
        assert columns == counters.WALK_COLUMNS
        return self._device(target)["walk"]

    def _device(self, target):
        device = self.devices[target.host]
        if device == "dead":
            raise CanonError("snmp_no_response", "%s did not answer" % target.host)
        if device == "broken":
            raise RuntimeError("malformed answer")
        return device


def job(host, **kw):
    return counters.CaptureJob(host, SnmpTarget(host, 16100, SnmpCredentials()), **kw)


def test_capture_many_reports_each_device_and_never_fails_the_others():
    fake = FakeClient({
        "127.0.0.1": {"get": CANON_GET, "walk": walk(all_rows=[(101, b"101", b"Total 1", 100)])},
        "127.0.0.2": "dead",
        "127.0.0.3": {"get": NAS_GET, "walk": {}},
        "127.0.0.4": {"get": dict(CANON_GET, **{oids.PRT_MARKER_LIFE_COUNT_1: NO_SUCH}), "walk": {}},
        "127.0.0.5": "broken",
    })
    bad = counters.CaptureJob("127.0.0.6", None, error=CanonError("invalid_argument", "v3_user missing"))
    jobs = [job("127.0.0.1", name="c5535", region="hq", timezone="Europe/Berlin"), job("127.0.0.2"),
            job("127.0.0.3"), job("127.0.0.4"), job("127.0.0.5"), bad]
    at = datetime(2024, 3, 31, 22, tzinfo=timezone.utc)
    results = asyncio.run(counters.capture_many(fake, jobs, counters.Selection(), 2, at))
    ok = results[0]
    assert (ok["failed"], ok["serial"], ok["model"], ok["name"], ok["region"]) == (
        False, "2XA00001", "iR-ADV C5535", "c5535", "hq")
    assert ok["captured_at"] == "2024-03-31T22:00:00Z"
    assert ids(ok["counters"]) == [101, "prtMarkerLifeCount"]
    assert [r.get("error_code") for r in results[1:]] == ["snmp_no_response", "not_a_printer",
                                                          "counters_unavailable", "snmp_error", "invalid_argument"]
    assert "RuntimeError" in results[4]["error"]
    assert ("get", "127.0.0.6") not in fake.calls           # invalid options: nothing sent
    summary = counters.summarise(results)
    assert (summary["targets"], summary["succeeded"], summary["failed"], summary["readings"]) == (6, 1, 5, 2)
    assert summary["failed_by_error_code"]["snmp_no_response"] == 1


def test_capture_fleet_with_only_invalid_targets_sends_nothing():
    bad = counters.CaptureJob("h", None, error=CanonError("invalid_argument", "bad"))
    [result] = counters.capture_fleet([bad])
    assert result["failed"] and result["error_code"] == "invalid_argument"


def test_store_captures_skips_failures_devices_without_serial_and_duplicates():
    base = {"failed": False, "model": "M", "address": "a", "region": None, "timezone": None,
            "captured_at": "2024-03-31T22:00:00Z", "warnings": [],
            "counters": [{"id": 101, "name": "Total 1", "category": "total", "unit": "impressions", "value": 5,
                          "tables": ["all", "display"]}]}
    results = [dict(base, name="one", serial="S1"), dict(base, name="alias", serial="S1"),
               dict(base, name="noserial", serial=None), {"failed": True, "name": "dead", "address": "d"},
               dict(base, name="two", serial="S2", region="branch", timezone="Asia/Tokyo")]
    captures, notes = counters.store_captures(results, region="hq", tz_name="Europe/Berlin")
    assert [c["serial"] for c in captures] == ["S1", "S2"]
    assert captures[0]["region"] == "hq" and captures[0]["timezone"] == "Europe/Berlin"
    assert captures[1]["region"] == "branch" and captures[1]["timezone"] == "Asia/Tokyo"
    assert captures[0]["counters"] == [{"id": 101, "name": "Total 1", "category": "total", "value": 5,
                                        "unit": "impressions", "table": "all"}]
    assert "stored once" in notes["alias"][0] and "no serial" in notes["noserial"][0]


def test_capture_reads_sysname_and_location_and_stores_them_as_the_devices_name_and_location():
    assert oids.SYS_NAME in counters.CAPTURE_GET_OIDS and oids.SYS_LOCATION in counters.CAPTURE_GET_OIDS
    result = {"failed": False, "serial": "S1", "model": "M", "address": "a", "region": "hq", "timezone": None,
              "sys_name": "hq-c5535", "location": "HQ, floor 3", "captured_at": "2024-03-31T22:00:00Z",
              "counters": []}
    captures, _notes = counters.store_captures([result, dict(result, serial="S2", sys_name=None, location=None)])
    assert [(c["name"], c["location"]) for c in captures] == [("hq-c5535", "HQ, floor 3"), (None, None)]
