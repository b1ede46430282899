# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Counter reports as XLSX (openpyxl) and CSV files: deterministic bytes, formulas neutralised.

Same data, same bytes: the module compares the bytes with the file on disk to decide
``changed``, so nothing here may depend on the clock unless ``generated_at`` is given.

Formula neutralisation, as EMC does it (EMC 4.1.4 guide, "Regarding CSV/Excel Files
Exported from This Software"; the guide does not list the trigger characters, so this uses
the usual CSV-injection set ``= + - @ TAB CR``):

* CSV: a text value starting with a trigger gets a leading TAB (EMC's choice).
* XLSX: the cell is written as a text cell with Excel's quote prefix (``quotePrefix``), the
  file-format form of typing a leading apostrophe: Excel and LibreOffice show the text as it
  is and never evaluate it, even after the cell is edited, and the stored value is unchanged.
  Every text cell is written as text, so ``=1+1`` or ``#N/A`` from a device never becomes a
  formula or an error value.

Numbers stay numbers: only text is neutralised, so a negative number is never touched.
"""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from datetime import date, datetime, timezone
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ansible_collections.printfleet.canon.plugins.module_utils.counters.report import Column, Report
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError

OPENPYXL_IMPORT_ERROR: Optional[str] = None
try:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES as _XLSX_ERROR_VALUES
    from openpyxl.chart import BarChart, Reference
    from openpyxl.packaging.core import DocumentProperties
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.xml.functions import tostring
except ImportError as exc:  # pragma: no cover - reported as missing_dependency when XLSX is asked for
    OPENPYXL_IMPORT_ERROR = str(exc)

FORMATS: Tuple[str, ...] = ("xlsx", "csv")
FORMULA_TRIGGERS: Tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
CSV_NEUTRALISER = "\t"
UTF8_BOM = b"\xef\xbb\xbf"
FILE_STEM = "counter-report"
XLSX_MAX_ROWS = 1048576
# Zip entry time for every member: the earliest a zip can record (1980-01-01 00:00).
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)

_CORE_DATES = re.compile(rb"<dcterms:(created|modified)\b[^>]*>[^<]*</dcterms:\1>")
_ILLEGAL_XML_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_NUMBER_FORMATS = {"int": "#,##0", "id": "0", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}
_FLAG_LEGEND = (
    ("Gap", "No reading inside the period: usage unknown; it is counted in the next period with a reading."),
    ("Reset", "The counter went down (board replacement, reset). Usage = before-reset part + "
              "after-reset part; the new series counts from its first reading, not from zero."),
    ("Partial", "The period had not ended when the report was made, or the counter's history starts "
                "inside it."),
)


def needs_neutralising(text: str) -> bool:
    """True when a spreadsheet could read ``text`` as a formula (or DDE payload)."""
    return text.startswith(FORMULA_TRIGGERS)


def neutralise_csv(text: str) -> str:
    """EMC's CSV rule: a leading TAB before a value that starts with a trigger character."""
    return CSV_NEUTRALISER + text if needs_neutralising(text) else text


def _clean_text(text: str) -> str:
    """Control characters XML 1.0 cannot carry become U+FFFD (visible, not silently dropped)."""
    return _ILLEGAL_XML_CHARS.sub("\ufffd", text)


# --- where files go --------------------------------------------------------------------------------------

def default_file_name(reports: Sequence[Report], fmt: str, report: Optional[Report] = None) -> str:
    """counter-report-<period>.xlsx for a workbook; counter-report-<period>-<report>.csv per CSV.

    A lifetime report has no period: counter-report-lifetime.csv (or .xlsx when alone).
    """
    periods = sorted({r.period for r in reports if r.period})
    if fmt == "xlsx":
        return "%s-%s.xlsx" % (FILE_STEM, periods[0] if periods else "lifetime")
    if report is None:  # an internal call-order error, not a user input
        raise RuntimeError("internal error: report is not set")
    if report.period is None:
        return "%s-lifetime.csv" % FILE_STEM
    return "%s-%s-%s.csv" % (FILE_STEM, report.period, report.name)


def plan_outputs(dest: str, reports: Sequence[Report], fmt: str) -> List[Tuple[str, List[Report]]]:
    """(path, reports in that file) for each file to write.

    ``dest`` ending in ``.xlsx`` / ``.csv`` is a file name; anything else is a directory that
    receives the default names. With CSV and several reports, a file name ``x.csv`` becomes
    ``x-<report>.csv`` per report.
    """
    if fmt not in FORMATS:
        raise CanonError("invalid_argument", "format must be one of %s, got %r" % (", ".join(FORMATS), fmt))
    if not reports:
        raise CanonError("invalid_argument", "no report to write")
    dest = os.path.abspath(os.path.expanduser(dest))
    suffix = "." + fmt
    if fmt == "xlsx":
        path = dest if dest.lower().endswith(suffix) else os.path.join(dest, default_file_name(reports, fmt))
        return [(path, list(reports))]
    if dest.lower().endswith(suffix):
        if len(reports) == 1:
            return [(dest, [reports[0]])]
        stem = dest[:-len(suffix)]
        return [("%s-%s%s" % (stem, r.name, suffix), [r]) for r in reports]
    return [(os.path.join(dest, default_file_name(reports, fmt, r)), [r]) for r in reports]


# --- CSV ----------------------------------------------------------------------------------------------------

def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return neutralise_csv(str(value).replace("\x00", "\ufffd"))


def write_csv(report: Report, generated_at: Optional[datetime] = None) -> bytes:
    """One report as UTF-8 CSV with a BOM (Excel detects the encoding), header = column keys.

    ``generated_at`` adds a trailing ``generated_at`` column (CSV has no place for a note).
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    keys = [c.key for c in report.columns]
    stamp = [generated_at.astimezone(timezone.utc).isoformat(timespec="seconds")] if generated_at else []
    writer.writerow(keys + (["generated_at"] if generated_at else []))
    for row in report.rows:
        writer.writerow([_csv_value(row.get(key)) for key in keys] + stamp)
    return UTF8_BOM + buffer.getvalue().encode("utf-8")


# --- XLSX ---------------------------------------------------------------------------------------------------

class _CellMaker:
    """Makes write-only cells with the right type and style; reuses one styled cell per column.

    openpyxl writes each appended row before ``append`` returns, so a cell object can be
    refilled for the next row; creating millions of styled cells would dominate the run time.
    """

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self._styled: Dict[Tuple[int, str], Any] = {}

    def _cell(self, slot: int, style: str, quoted: bool = False) -> Any:
        cell = self._styled.get((slot, style, quoted))
        if cell is None:
            cell = WriteOnlyCell(self.ws)
            if style == "header":
                cell.font = Font(bold=True)
                cell.fill = PatternFill("solid", fgColor="DDEBF7")
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            elif style in _NUMBER_FORMATS:
                cell.number_format = _NUMBER_FORMATS[style]
            if quoted:
                cell.quotePrefix = True
            self._styled[(slot, style, quoted)] = cell
        return cell

    def text(self, slot: int, value: str, style: str = "text") -> Any:
        value = _clean_text(value)
        quoted = needs_neutralising(value)
        if style == "text" and not quoted and value not in _XLSX_ERROR_VALUES:
            return value           # a plain string: openpyxl writes it as text already
        cell = self._cell(slot, style, quoted)
        cell.value = value
        cell.data_type = "s"       # never a formula ('=…') or an error value ('#N/A')
        return cell

    def value(self, slot: int, value: Any, kind: str) -> Any:
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            return self.text(slot, value)
        if isinstance(value, datetime):
            value = value.replace(tzinfo=None)     # local wall time; Excel has no time zones
        if kind in _NUMBER_FORMATS and isinstance(value, (int, date)):
            cell = self._cell(slot, kind)
            cell.value = value
            return cell
        return value


def _header_row(maker: _CellMaker, titles: Sequence[str], offset: int = 0) -> List[Any]:
    return [maker.text(offset + i, t, "header") if t is not None else None for i, t in enumerate(titles)]


def _add_report_sheet(wb: Any, report: Report) -> None:
    ws = wb.create_sheet(report.title)
    columns: Sequence[Column] = report.columns
    if len(report.rows) + 1 > XLSX_MAX_ROWS:
        raise CanonError("report_error", "the %s report has %d rows; an Excel sheet holds %d"
                         % (report.name, len(report.rows), XLSX_MAX_ROWS - 1),
                         hint="Select fewer counters or devices, a longer period, or format: csv.")
    ws.freeze_panes = "A2"
    for index, column in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    chart = report.chart if report.chart and report.chart.series and report.chart.categories else None
    chart_col = len(columns) + 2                  # one empty column between the table and the chart data
    if chart:
        ws.column_dimensions[get_column_letter(chart_col)].width = 10
        for index in range(len(chart.series)):
            ws.column_dimensions[get_column_letter(chart_col + 1 + index)].width = 14
    ws.auto_filter.ref = "A1:%s%d" % (get_column_letter(len(columns)), len(report.rows) + 1)

    maker = _CellMaker(ws)
    header = _header_row(maker, [c.title for c in columns])
    if chart:
        header += [None] + _header_row(maker, ["Period"] + [name for name, _unused in chart.series], chart_col - 1)
    ws.append(header)
    width = len(columns)
    lines = max(len(report.rows), len(chart.categories) if chart else 0)
    for line in range(lines):
        if line < len(report.rows):
            row = report.rows[line]
            cells = [maker.value(i, row.get(c.key), c.kind) for i, c in enumerate(columns)]
        else:
            cells = [None] * width
        if chart and line < len(chart.categories):
            cells += [None, maker.text(chart_col - 1, chart.categories[line])]
            cells += [maker.value(chart_col + i, values[line], "int")
                      for i, (_unused, values) in enumerate(chart.series)]
        ws.append(cells)

    if chart:
        bars = BarChart()
        bars.type = "col"
        bars.grouping = "clustered"
        bars.title = "Usage per period"
        bars.y_axis.title = "Usage"
        bars.x_axis.title = "Period"
        bars.width, bars.height = 24, 12
        last_row = 1 + len(chart.categories)
        bars.add_data(Reference(ws, min_col=chart_col + 1, max_col=chart_col + len(chart.series), min_row=1,
                                max_row=last_row), titles_from_data=True)
        bars.set_categories(Reference(ws, min_col=chart_col, min_row=2, max_row=last_row))
        ws.add_chart(bars, "%s2" % get_column_letter(chart_col + len(chart.series) + 2))


def _add_about_sheet(wb: Any, reports: Sequence[Report], generated_at: Optional[datetime]) -> None:
    ws = wb.create_sheet("About")
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 100
    maker = _CellMaker(ws)
    period = next((r.period for r in reports if r.period), None)
    window = next((r.periods for r in reports if r.periods), ())
    lines: List[Tuple[str, Any]] = [("Report", "Counter report (printfleet.canon)"),
                                    ("Contents", ", ".join(r.title for r in reports))]
    if period:
        lines += [("Period", period), ("Window", "%s to %s" % (window[0], window[-1]) if window else "")]
    lines += [("Time zones", "Periods start at local midnight in each device's region time zone.")]
    lines += list(_FLAG_LEGEND)
    if generated_at is not None:
        lines.append(("Generated at", generated_at.astimezone(timezone.utc).replace(tzinfo=None)))
    for label, value in lines:
        cell_value = maker.text(1, value) if isinstance(value, str) else maker.value(1, value, "datetime")
        ws.append([maker.text(0, label, "header"), cell_value])


def write_xlsx(reports: Sequence[Report], generated_at: Optional[datetime] = None) -> bytes:
    """One workbook: a sheet per report (frozen header, filters, number formats, widths, and for
    usage reports a bar chart of usage per period), then an About sheet. Deterministic bytes."""
    if OPENPYXL_IMPORT_ERROR is not None:
        raise CanonError("missing_dependency",
                         "XLSX reports need the openpyxl package: %s" % OPENPYXL_IMPORT_ERROR)
    wb = Workbook(write_only=True)
    for report in reports:
        _add_report_sheet(wb, report)
    _add_about_sheet(wb, reports, generated_at)
    raw = io.BytesIO()
    wb.save(raw)
    return _deterministic_zip(raw.getvalue(), generated_at)


def _core_properties(generated_at: Optional[datetime]) -> bytes:
    """docProps/core.xml without the save time openpyxl stamps in (dated ``generated_at`` if given)."""
    moment = generated_at or datetime(2000, 1, 1, tzinfo=timezone.utc)
    stamp = moment.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)
    props = DocumentProperties(creator="printfleet.canon", title="Counter report", created=stamp,
                               modified=stamp)
    xml = tostring(props.to_tree())
    if generated_at is None:   # both dates are optional in OPC core properties: leave them out
        xml = _CORE_DATES.sub(b"", xml)
    return xml


def _deterministic_zip(data: bytes, generated_at: Optional[datetime]) -> bytes:
    """Re-pack openpyxl's zip: same member order, fixed dates and attributes, fixed core properties."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _core_properties(generated_at)
            member = zipfile.ZipInfo(info.filename, date_time=ZIP_EPOCH)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.create_system = 0
            member.external_attr = 0
            target.writestr(member, content)
    return out.getvalue()


def render(reports: Sequence[Report], fmt: str, generated_at: Optional[datetime] = None) -> bytes:
    """The bytes of one output file (see plan_outputs): a workbook, or one report's CSV."""
    if fmt == "xlsx":
        return write_xlsx(reports, generated_at)
    if fmt == "csv" and len(reports) == 1:
        return write_csv(reports[0], generated_at)
    raise CanonError("invalid_argument", "a CSV file holds exactly one report")
