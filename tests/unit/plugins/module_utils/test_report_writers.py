# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""XLSX and CSV writers: structure, determinism, formula neutralisation, file naming."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from ansible_collections.printfleet.canon.plugins.module_utils.counters.report import Report, UsageChart
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.counters import report_writers
from ansible_collections.printfleet.canon.plugins.module_utils.counters.report_writers import (
    FORMULA_TRIGGERS, ZIP_EPOCH, neutralise_csv, plan_outputs, render, write_csv, write_xlsx)

BERLIN = ZoneInfo("Europe/Berlin")
TRIGGER_TEXTS = ["=1+1", "+49 30 1234", "-2nd floor", "@SUM(A1)", "\tindented", "\r=cmd|' /C calc'!A0"]


def device_row(period, first_day, usage, **overrides):
    row = {"region": "emea", "timezone": "Europe/Berlin", "serial": "2XA01234", "model": "iR-ADV C5535",
           "address": "127.0.1.5", "counter_id": 101, "counter_name": "Total 1", "category": "total",
           "unit": "impressions", "period": period, "first_day": first_day,
           "last_day": first_day + timedelta(days=30), "start_value": 1000,
           "start_captured_at": datetime(2024, 1, 31, 23, 50, tzinfo=BERLIN),
           "end_value": 1000 + (usage or 0),
           "end_captured_at": datetime(2024, 2, 29, 23, 50, tzinfo=BERLIN), "usage": usage,
           "gap": usage is None, "reset": False, "partial": False}
    row.update(overrides)
    return row


def sample_reports():
    rows = [device_row("2024-01", date(2024, 1, 1), 310), device_row("2024-02", date(2024, 2, 1), None),
            device_row("2024-03", date(2024, 3, 1), 190, serial="=HYPERLINK(\"http://x\")", model="#N/A")]
    chart = UsageChart(("2024-01", "2024-02", "2024-03"), (("101 Total 1", (310, None, 190)),
                                                           ("-5 @odd", (1, 2, 3))))
    by_device = Report("by_device", "monthly", chart.categories, rows, chart)
    by_counter = Report("by_counter", "monthly", chart.categories, [
        {"counter_id": 101, "counter_name": "Total 1", "category": "total", "unit": None, "period": "2024-01",
         "first_day": date(2024, 1, 1), "last_day": date(2024, 1, 31), "usage": 310, "devices": 1,
         "gap_devices": 0, "reset_devices": 0, "partial_devices": 0, "gap": False, "reset": False,
         "partial": False}], chart)
    lifetime = Report("lifetime", None, (), [dict(
        {k: v for k, v in rows[0].items() if k in ("region", "timezone", "serial", "model", "address",
                                                   "counter_id", "counter_name", "category", "unit")},
        value=1310, captured_at=datetime(2024, 2, 29, 23, 50, tzinfo=BERLIN), series=0, gap=False,
        reset=False, partial=False)])
    return [by_device, by_counter, lifetime]


def text_report(texts, numbers=None):
    """A lifetime-shaped report whose model column holds ``texts`` and value column ``numbers``."""
    base = sample_reports()[2].rows[0]
    numbers = numbers or [1] * len(texts)
    rows = [dict(base, model=text, value=number) for text, number in zip(texts, numbers)]
    return Report("lifetime", None, (), rows)


# --- neutralisation -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", TRIGGER_TEXTS)
def test_csv_neutralises_every_trigger_with_a_leading_tab(text):
    assert neutralise_csv(text) == "\t" + text
    (row,) = list(csv.reader(io.StringIO(write_csv(text_report([text]))[3:].decode("utf-8"), newline="")))[1:]
    assert row[3] == "\t" + text


@pytest.mark.parametrize("text", ["Total 1", "a=b", " =not at start", "2XA01234", "", "１２３"])
def test_csv_leaves_harmless_text_alone(text):
    assert neutralise_csv(text) == text


def test_csv_numbers_stay_numbers():
    data = write_csv(text_report(["-3 is text"], numbers=[-5]))
    header, row = list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))
    assert row[header.index("value")] == "-5"
    assert row[header.index("model")] == "\t-3 is text"


@pytest.mark.parametrize("text", TRIGGER_TEXTS)
def test_xlsx_neutralises_every_trigger_with_the_quote_prefix(text, tmp_path):
    path = tmp_path / "r.xlsx"
    path.write_bytes(write_xlsx([text_report([text], numbers=[-5])]))
    ws = load_workbook(path)["Lifetime"]
    cell, number = ws["D2"], ws["J2"]
    assert (cell.data_type, cell.quotePrefix) == ("s", True)
    # XML turns a carriage return into a line feed; the text after it is unchanged.
    assert cell.value.replace("\n", "\r") == text if text.startswith("\r") else cell.value == text
    assert (number.value, number.data_type, number.quotePrefix) == (-5, "n", False)


def test_xlsx_never_writes_device_text_as_a_formula_or_error(tmp_path):
    path = tmp_path / "r.xlsx"
    path.write_bytes(write_xlsx(sample_reports()))
    raw = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in raw and b't="e"' not in raw
    ws = load_workbook(path)["By device"]
    assert (ws["C4"].value, ws["C4"].data_type, ws["C4"].quotePrefix) == ('=HYPERLINK("http://x")', "s", True)
    assert (ws["D4"].value, ws["D4"].data_type, ws["D4"].quotePrefix) == ("#N/A", "s", False)
    assert (ws["C2"].value, ws["C2"].quotePrefix) == ("2XA01234", False)


def test_control_characters_are_made_visible_not_fatal(tmp_path):
    path = tmp_path / "r.xlsx"
    path.write_bytes(write_xlsx([text_report(["bad\x01name\x00"])]))
    assert load_workbook(path)["Lifetime"]["D2"].value == "bad\ufffdname\ufffd"


# --- workbook structure and determinism ---------------------------------------------------------------------

def test_workbook_structure(tmp_path):
    path = tmp_path / "r.xlsx"
    path.write_bytes(write_xlsx(sample_reports()))
    wb = load_workbook(path)
    assert wb.sheetnames == ["By device", "By counter", "Lifetime", "About"]
    device = wb["By device"]
    assert [c.value for c in device[1]][:3] == ["Region", "Time zone", "Serial number"]
    assert device.freeze_panes == "A2" and wb["Lifetime"].freeze_panes == "A2"
    assert device["A1"].font.b is True
    assert device.auto_filter.ref == "A1:T4"
    assert device.column_dimensions["D"].width == 20
    assert (device["K2"].value, device["K2"].number_format) == (datetime(2024, 1, 1), "yyyy-mm-dd")
    assert (device["M2"].value, device["M2"].number_format) == (1000, "#,##0")
    assert device["N2"].value == datetime(2024, 1, 31, 23, 50)          # local wall time
    assert device["Q3"].value is None and device["R3"].value is True     # gap: no usage, flagged
    # the chart and the table it draws, right of the data
    assert len(device._charts) == 1 and len(wb["By counter"]._charts) == 1 and not wb["Lifetime"]._charts
    assert [device.cell(row=r, column=22).value for r in range(1, 5)] == ["Period", "2024-01", "2024-02",
                                                                          "2024-03"]
    assert [device.cell(row=r, column=23).value for r in range(1, 5)] == ["101 Total 1", 310, None, 190]
    assert device.cell(row=1, column=24).quotePrefix is True             # series name "-5 @odd"
    about = {row[0].value: row[1].value for row in wb["About"].iter_rows()}
    assert about["Period"] == "monthly" and about["Window"] == "2024-01 to 2024-03"
    assert "Generated at" not in about


def test_same_data_gives_byte_identical_workbooks(monkeypatch):
    first = write_xlsx(sample_reports())
    # Move the clocks openpyxl (core properties) and zipfile (member dates) read by 400 days.
    import time
    import types
    import openpyxl.writer.excel as openpyxl_excel
    later = time.time() + 400 * 86400
    monkeypatch.setattr(zipfile, "time", types.SimpleNamespace(time=lambda: later, localtime=time.localtime))
    shifted = type("Later", (datetime,),
                   {"now": classmethod(lambda cls, tz=None: datetime.fromtimestamp(later, tz))})
    monkeypatch.setattr(openpyxl_excel, "datetime",
                        types.SimpleNamespace(datetime=shifted, timezone=timezone))
    assert write_xlsx(sample_reports()) == first
    archive = zipfile.ZipFile(io.BytesIO(first))
    assert {info.date_time for info in archive.infolist()} == {ZIP_EPOCH}
    assert b"dcterms:modified" not in archive.read("docProps/core.xml")


def test_generated_at_is_written_only_when_asked(tmp_path):
    stamp = datetime(2024, 4, 1, 6, 30, tzinfo=timezone.utc)
    data = write_xlsx(sample_reports(), generated_at=stamp)
    assert data == write_xlsx(sample_reports(), generated_at=stamp)
    path = tmp_path / "r.xlsx"
    path.write_bytes(data)
    wb = load_workbook(path)
    about = {row[0].value: row[1].value for row in wb["About"].iter_rows()}
    assert about["Generated at"] == datetime(2024, 4, 1, 6, 30)
    assert wb.properties.modified == datetime(2024, 4, 1, 6, 30)
    csv_text = write_csv(sample_reports()[1], generated_at=stamp).decode("utf-8-sig")
    assert csv_text.splitlines()[0].endswith(",generated_at") and "2024-04-01T06:30:00+00:00" in csv_text


def test_csv_is_utf8_with_bom_and_field_names(tmp_path):
    data = write_csv(sample_reports()[0])
    assert data.startswith(b"\xef\xbb\xbf") and data == write_csv(sample_reports()[0])
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0]["usage"] == "310" and rows[1]["usage"] == "" and rows[1]["gap"] == "true"
    assert rows[0]["start_captured_at"] == "2024-01-31T23:50:00+01:00"
    assert rows[0]["first_day"] == "2024-01-01"
    assert rows[2]["serial"] == '\t=HYPERLINK("http://x")'


def test_a_sheet_too_large_for_excel_is_refused(monkeypatch):
    monkeypatch.setattr(report_writers, "XLSX_MAX_ROWS", 3)
    with pytest.raises(CanonError) as err:
        write_xlsx(sample_reports())
    assert err.value.error_code == "report_error" and "csv" in err.value.hint


# --- file names ---------------------------------------------------------------------------------------------

def test_output_paths(tmp_path):
    reports = sample_reports()
    base = str(tmp_path)
    assert plan_outputs(base, reports, "xlsx") == [(os.path.join(base, "counter-report-monthly.xlsx"),
                                                    reports)]
    assert plan_outputs(base + "/x.xlsx", reports, "xlsx")[0][0] == base + "/x.xlsx"
    assert [p for p, _ in plan_outputs(base, reports, "csv")] == [
        os.path.join(base, name) for name in ("counter-report-monthly-by_device.csv",
                                              "counter-report-monthly-by_counter.csv",
                                              "counter-report-lifetime.csv")]
    assert [p for p, _ in plan_outputs(base + "/m.csv", reports[:2], "csv")] == [base + "/m-by_device.csv",
                                                                                 base + "/m-by_counter.csv"]
    assert plan_outputs(base + "/one.csv", reports[1:2], "csv") == [(base + "/one.csv", reports[1:2])]
    assert plan_outputs(base, reports[2:], "xlsx")[0][0].endswith("counter-report-lifetime.xlsx")
    with pytest.raises(CanonError):
        render(reports, "csv")


def test_trigger_set_is_the_documented_one():
    assert set(FORMULA_TRIGGERS) == {"=", "+", "-", "@", "\t", "\r"}
