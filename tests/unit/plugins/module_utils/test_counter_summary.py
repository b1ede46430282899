"""The counter report's summary sheet: one row per device (total/black/colour/large/scan), region subtotals,
fleet total, flags, optional cost columns, chart beside the table, CSV twin; read back from the workbook and
checked against the by-device readings. The workbook writer is core/report_book.py."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest
from openpyxl import load_workbook

from ansible_collections.printfleet.canon.plugins.module_utils.core import report_book
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.counters.report import build_reports
from ansible_collections.printfleet.canon.plugins.module_utils.counters.report_writers import render
from ansible_collections.printfleet.canon.plugins.module_utils.counters.store import CounterStore

UTC = timezone.utc
LATER = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    with CounterStore(path=str(tmp_path / "counters.sqlite")) as opened:
        yield opened


# the devices' own names (sysName) and locations (sysLocation), as canon_counters stores them
NAMES = {"C1": ("hq-colour-1", "HQ, floor 3, copy room"), "C2": ("hq-mono-2", "HQ, floor 1"),
         "X9": ("tokyo-sharp", "Tokyo office")}


def capture(store, serial, region, at, values, model="iR-ADV C5535", address=None):
    name, location = NAMES.get(serial, (None, None))      # C3 answers neither
    store.record_captures([{"serial": serial, "timezone": "Europe/Berlin", "region": region,
                            "address": address or "127.0.1.%d" % (len(serial) % 200), "model": model,
                            "name": name, "location": location, "captured_at": at,
                            "counters": [{"id": cid, "name": str(cid), "category": "total", "value": v}
                                         for cid, v in values.items()]}])


def fleet(store):
    # a Canon colour device: April usage 101 +300, 108 +200, 122 +20, 123 +80, 103 +30, 501 +50
    capture(store, "C1", "emea", "2024-03-31T20:00:00Z", {101: 1000, 108: 600, 122: 40, 123: 360, 103: 70, 501: 10})
    capture(store, "C1", "emea", "2024-04-30T20:00:00Z", {101: 1300, 108: 800, 122: 60, 123: 440, 103: 100,
                                                          501: 60})
    # a black-and-white Canon in the same region (no colour counters); 112 + 113 stand in for 108
    capture(store, "C2", "emea", "2024-03-31T20:00:00Z", {101: 500, 112: 20, 113: 480, 103: 20})
    capture(store, "C2", "emea", "2024-04-30T20:00:00Z", {101: 700, 112: 30, 113: 670, 103: 30})
    # a non-Canon printer in another region: only the Printer-MIB life count
    capture(store, "X9", "apac", "2024-03-31T20:00:00Z", {"prtMarkerLifeCount": 9000}, model="SHARP MX-3570N")
    capture(store, "X9", "apac", "2024-04-30T20:00:00Z", {"prtMarkerLifeCount": 9400}, model="SHARP MX-3570N")
    # a device whose last reading is before the window's last period: a gap this month
    capture(store, "C3", "apac", "2024-02-29T20:00:00Z", {101: 10})
    capture(store, "C3", "apac", "2024-03-31T20:00:00Z", {101: 20})


def test_summary_rows_totals_flags_and_costs(store):
    fleet(store)
    warnings = []
    summary, by_device = build_reports(store, ["summary", "by_device"], "monthly", "2024-04-30", now=LATER,
                                       rates={"black": 0.01, "colour": 0.1, "currency": "EUR"}, warnings=warnings)
    rows = summary.rows
    assert [(r["row_type"], r.get("region"), r.get("serial")) for r in rows] == [
        ("device", "apac", "C3"), ("device", "apac", "X9"), ("region total", "apac", None),
        ("device", "emea", "C1"), ("device", "emea", "C2"), ("region total", "emea", None),
        ("fleet total", None, None)]
    by_serial = {r["serial"]: r for r in rows if r["row_type"] == "device"}
    c1 = by_serial["C1"]
    assert (c1["period"], c1["total"], c1["black"], c1["colour"], c1["large"], c1["scan"]) == (
        "2024-04", 300, 200, 100, 30, 50)
    assert (by_serial["C2"]["black"], by_serial["C2"]["colour"]) == (200, None)
    assert (by_serial["X9"]["total"], by_serial["X9"]["black"]) == (400, None)
    assert by_serial["C3"]["total"] is None and by_serial["C3"]["flags"] == "gap"
    assert by_serial["C1"]["flags"] == ""
    # one row per device with region, model, serial and name/location
    for serial, row in by_serial.items():
        assert (row["name"], row["location"]) == NAMES.get(serial, (None, None)), serial
    assert (c1["region"], c1["model"], c1["address"]) == ("emea", "iR-ADV C5535", "127.0.1.2")
    # the summary agrees with the by-device readings it summarises
    april = {(r["serial"], str(r["counter_id"])): r["usage"] for r in by_device.rows if r["period"] == "2024-04"}
    assert c1["total"] == april[("C1", "101")] and c1["colour"] == april[("C1", "122")] + april[("C1", "123")]
    assert by_serial["C2"]["black"] == april[("C2", "112")] + april[("C2", "113")]
    emea, fleet_total = rows[5], rows[6]
    assert (emea["total"], emea["black"], emea["colour"]) == (500, 400, 100)
    assert (fleet_total["total"], fleet_total["scan"]) == (900, 50)
    assert "1 device(s) flagged" in fleet_total["flags"]
    # costs: a rate for a counter a device lacks is a warning and an empty cell, never a zero
    assert (c1["cost_black"], c1["cost_colour"], c1["cost_total"]) == (2.0, 10.0, 12.0)
    assert by_serial["C2"]["cost_colour"] is None and by_serial["C2"]["cost_total"] == 2.0
    assert any("C2 has no colour counter" in w for w in warnings)
    assert any(c.key == "cost_colour" and "EUR" in c.title for c in summary.columns)
    # chart: the fleet's usage per period by column
    assert summary.chart.categories[-1] == "2024-04"
    assert dict(summary.chart.series)["Total"][-1] == 900


def test_workbook_opens_on_the_summary_with_the_chart_beside_the_table_and_a_csv_twin(store):
    fleet(store)
    reports = build_reports(store, now=LATER, as_of="2024-04-30")
    assert [r.name for r in reports] == ["summary", "by_device", "by_counter", "lifetime"]
    wb = load_workbook(io.BytesIO(render(reports, "xlsx")))
    assert wb.sheetnames[0] == "Summary" and wb.active.title == "Summary"
    ws = wb["Summary"]
    header = [c.value for c in ws[1]]
    table_width = header.index(None)
    assert header[:table_width] == ["Row", "Region", "Serial number", "Model", "Name", "Location", "Address",
                                    "Period", "Total", "Black", "Colour", "Large", "Scan", "Flags"]
    # the rows in the file are the summary rows
    values = [[c.value for c in row][:table_width] for row in ws.iter_rows(min_row=2, max_row=8)]
    assert values[3][:7] == ["device", "emea", "C1", "iR-ADV C5535", "hq-colour-1", "HQ, floor 3, copy room",
                             "127.0.1.2"]
    assert values[3][8:13] == [300, 200, 100, 30, 50]
    assert values[1][4:6] == ["tokyo-sharp", "Tokyo office"] and values[0][4:6] == [None, None]   # X9; C3
    assert values[6][0] == "fleet total" and values[6][8] == 900
    [chart] = ws._charts
    anchor_col = chart.anchor._from.col
    assert anchor_col > table_width            # beside the table, not after 40 columns of data
    assert anchor_col < table_width + 12
    # the CSV twin holds the same summary rows
    summary_csv = render([reports[0]], "csv").decode("utf-8-sig")
    lines = list(csv.DictReader(io.StringIO(summary_csv)))
    assert [line["row_type"] for line in lines][-1] == "fleet total"
    assert [line["serial"] for line in lines if line["row_type"] == "device"] == ["C3", "X9", "C1", "C2"]
    assert lines[3]["total"] == "300"
    assert (lines[3]["name"], lines[3]["location"]) == ("hq-colour-1", "HQ, floor 3, copy room")
    assert [line["location"] for line in lines if line["row_type"] == "device"] == [
        "", "Tokyo office", "HQ, floor 3, copy room", "HQ, floor 1"]


def test_bad_rates_are_refused(store):
    fleet(store)
    for rates in ({"magenta": 1}, {"black": -1}, {"black": "x"}):
        with pytest.raises(CanonError):
            build_reports(store, ["summary"], now=LATER, as_of="2024-04-30", rates=rates)


def test_report_book_is_reusable_and_neutralises_formulas():
    columns = [report_book.BookColumn("host", "Host"), report_book.BookColumn("n", "Count", "int", 8)]
    rows = [{"host": "=cmd|' /C calc'!A0", "n": 3}, {"host": "ok", "n": -4}]
    data = report_book.write_xlsx([report_book.Sheet("Summary", columns, rows,
                                                     report_book.BookChart(("a", "b"), (("Count", (1, 2)),)))],
                                  about=[("Report", "test")])
    again = report_book.write_xlsx([report_book.Sheet("Summary", columns, rows,
                                                      report_book.BookChart(("a", "b"), (("Count", (1, 2)),)))],
                                   about=[("Report", "test")])
    assert data == again
    ws = load_workbook(io.BytesIO(data))["Summary"]
    assert ws["A2"].value == "=cmd|' /C calc'!A0" and ws["A2"].data_type == "s" and ws["A2"].quotePrefix
    assert ws["B3"].value == -4
    text = report_book.write_csv(columns, rows).decode("utf-8-sig")
    assert "\t=cmd" in text and "\r\nok,-4\r\n" in text


def test_csv_cell_filter_uses_the_report_helper():
    from ansible_collections.printfleet.canon.plugins.filter.csv_cell import FilterModule
    cell = FilterModule().filters()["csv_cell"]
    assert cell("=1+1") == '"\t=1+1"' and cell('say "hi"') == '"say ""hi"""' and cell(None) == '""'
    assert cell(-5) == '"\t-5"' and cell("HQ 2F") == '"HQ 2F"'
