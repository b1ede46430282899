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

REQUIRED_IDS = [101, 102, 103, 104, 105, 106, 108, 109, 112, 113, 114, 116, 117, 122, 123, 124, 125, 201, 301,
                403, 404, 407, 408, 471, 473, 475, 501, 503, 504, 507, 508]


# --- catalog -------------------------------------------------------------------------------------------

def test_catalog_has_every_required_id_with_a_valid_category_and_unit():
    assert sorted(counters.CATALOG) == REQUIRED_IDS
    for cid, entry in counters.CATALOG.items():
        assert entry.id == cid
        assert entry.category in counters.CATEGORIES and entry.category != "other"
        assert entry.unit == (counters.UNIT_SCANS if cid // 100 == 5 else counters.UNIT_IMPRESSIONS)


def test_catalog_names_and_categories_follow_the_canon_numbering():
    c = counters.CATALOG
    assert (c[101].name, c[101].category) == ("Total 1", "total")
    assert (c[102].name, c[102].category) == ("Total 2", "total")
    assert (c[109].name, c[109].category) == ("Total (Black 2)", "black")
    assert (c[123].name, c[123].category) == ("Total (Full Color + Single Color/Small)", "colour")
    assert (c[201].category, c[301].category, c[501].category) == ("copy", "print", "scan")
    assert (c[103].category, c[116].category) == ("size", "sides")


def test_unconfirmed_labels_are_flagged():
    assert {cid for cid, e in counters.CATALOG.items() if not e.confirmed} == {105, 106, 114, 125}


def test_every_catalog_name_maps_back_to_its_id():
    assert len(counters.LABEL_INDEX) == len(counters.CATALOG)   # no two names normalise alike
    for cid, entry in counters.CATALOG.items():
        assert counters.id_for_label(entry.name) == cid


@pytest.mark.parametrize("label,expected", [
    ("TOTAL 1", 101),
    ("  Total  (Black/Small) ", 113),
    ("Total ( Black / Small )", 113),
    ("Total (Full Colour + Single Colour/Large)", 122),
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
    assert c[101] == {"id": 101, "name": "Total 1", "category": "total",
                      "unit": "impressions", "value": 5000, "tables": ["display"]}
    assert c[108]["name"] == "Total (Black 1)"


def test_newer_display_table_integer_codes_and_names():
    found, warnings = merged(walk(display=[(101, 101, b"Total 1", 70), (124, 124, b"Total (Full Color + Single "
                                                                               b"Color 2)", 40)]))
    assert warnings == []
    assert by_id(found)[124]["name"] == "Total (Full Color + Single Color 2)"
    assert by_id(found)[124]["category"] == "colour"


def test_a_device_label_that_differs_from_the_catalog_is_reported():
    found, warnings = merged(walk(all_rows=[(105, b"105", b"Total (Color 1)", 7), (101, b"101", b"TOTAL  1", 9)]))
    assert by_id(found)[105]["name"] == "Total (Full Color 1)"
    assert warnings == ["the device calls counter 105 'Total (Color 1)'; the catalog name 'Total (Full Color 1)' "
                        "is used (the catalog's label is unconfirmed)"]


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


def test_unknown_ids_and_labels_are_kept_as_other():
    found, warnings = merged(walk(
        all_rows=[(101, b"101", b"Total 1", 10), (601, b"601", b"Fax Receive (Total 1)", 7), (602, b"602", b"", 3)],
        named=[(40, b"Fax Print (Total 1)", 5), (41, b"", 6), (42, b"12345", 8)]))
    assert warnings == []
    c = by_id(found)
    assert c[601] == {"id": 601, "name": "Fax Receive (Total 1)", "category": "other", "unit": "impressions",
                      "value": 7, "tables": ["all"]}
    assert c[602]["name"] == "602" and c[602]["category"] == "other"
    assert c["Fax Print (Total 1)"]["category"] == "other" and c["Fax Print (Total 1)"]["value"] == 5
    assert c["named:41"]["value"] == 6           # no label: its table position
    assert c["named:12345"]["value"] == 8        # a label of digits never reads as a Canon ID
    assert [x["id"] for x in found][:3] == [101, 601, 602]


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
