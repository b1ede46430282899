# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's report files: an XLSX workbook (summary sheet first, detail sheets behind it, an About
sheet) and its CSV twins, with spreadsheet formulas neutralised and deterministic bytes.

Why one writer: every report people read (counters, settings audits, firmware, consumables, status) must
open on a sheet that answers the question at a glance, keep the long data behind it for pivoting, be safe
to open (a device string such as ``=cmd|...`` never becomes a formula), and be byte-identical for the same
data so a module can say ``changed=false``. Roles build ``Sheet`` objects and call ``write_xlsx`` /
``write_csv``; nothing here knows about counters.

Formula neutralisation, as EMC does it (EMC 4.1.4 guide, "Regarding CSV/Excel Files Exported from This
Software"; the guide does not list the trigger characters, so this uses the usual CSV-injection set
``= + - @ TAB CR``):

* CSV: a text value starting with a trigger gets a leading TAB (EMC's choice).
* XLSX: the cell is written as a text cell with Excel's quote prefix (``quotePrefix``), the file-format form
  of typing a leading apostrophe: shown as is, never evaluated. Every text cell is written as text, so
  ``=1+1`` or ``#N/A`` from a device never becomes a formula or an error value. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

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
    _XLSX_ERROR_VALUES = ()

FORMULA_TRIGGERS: Tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
CSV_NEUTRALISER = "\t"
UTF8_BOM = b"\xef\xbb\xbf"
XLSX_MAX_ROWS = 1048576
# Zip entry time for every member: the earliest a zip can record (1980-01-01 00:00).
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)

_CORE_DATES = re.compile(rb"<dcterms:(created|modified)\b[^>]*>[^<]*</dcterms:\1>")
_ILLEGAL_XML_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
NUMBER_FORMATS = {"int": "#,##0", "id": "0", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm",
                  "money": "#,##0.00", "float": "0.0"}


def needs_neutralising(text: str) -> bool:
    """True when a spreadsheet could read ``text`` as a formula (or DDE payload)."""
    return text.startswith(FORMULA_TRIGGERS)


def neutralise_csv(text: str) -> str:
    """EMC's CSV rule: a leading TAB before a value that starts with a trigger character."""
    return CSV_NEUTRALISER + text if needs_neutralising(text) else text


def clean_text(text: str) -> str:
    """Control characters XML 1.0 cannot carry become U+FFFD (visible, not silently dropped)."""
    return _ILLEGAL_XML_CHARS.sub("\ufffd", text)


@dataclass(frozen=True)
class BookColumn:
    """One column: ``kind`` is text | id | int | money | float | date | datetime | bool."""

    key: str
    title: str
    kind: str = "text"
    width: int = 14


@dataclass(frozen=True)
class BookChart:
    """A clustered bar chart drawn beside the table from data written next to it."""

    categories: Tuple[str, ...]
    series: Tuple[Tuple[str, Tuple[Optional[float], ...]], ...]
    title: str = "Usage per period"
    x_title: str = "Period"
    y_title: str = "Usage"


@dataclass
class Sheet:
    """One sheet: columns (objects with key/title/kind/width), rows (dicts by key), an optional chart
    beside the table, and ``emphasis`` (rows drawn bold, e.g. subtotals)."""

    title: str
    columns: Sequence[Any]
    rows: Sequence[Mapping[str, Any]]
    chart: Optional[BookChart] = None
    emphasis: Optional[Callable[[Mapping[str, Any]], bool]] = None
    name: str = ""
    notes: Sequence[str] = field(default_factory=tuple)


# --- CSV ----------------------------------------------------------------------------------------------------

def csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(round(value, 6))
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return neutralise_csv(str(value).replace("\x00", "\ufffd"))


def write_csv(columns: Sequence[Any], rows: Sequence[Mapping[str, Any]],
              generated_at: Optional[datetime] = None) -> bytes:
    """UTF-8 CSV with a BOM (Excel detects the encoding), header = column keys, CRLF lines.

    ``generated_at`` adds a trailing ``generated_at`` column (CSV has no place for a note).
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    keys = [c.key for c in columns]
    stamp = [generated_at.astimezone(timezone.utc).isoformat(timespec="seconds")] if generated_at else []
    writer.writerow(keys + (["generated_at"] if generated_at else []))
    for row in rows:
        writer.writerow([csv_value(row.get(key)) for key in keys] + stamp)
    return UTF8_BOM + buffer.getvalue().encode("utf-8")


# --- XLSX ---------------------------------------------------------------------------------------------------

class CellMaker:
    """Makes write-only cells with the right type and style; reuses one styled cell per column.

    openpyxl writes each appended row before ``append`` returns, so a cell object can be refilled for the
    next row; creating millions of styled cells would dominate the run time.
    """

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self._styled: Dict[Tuple[Any, ...], Any] = {}

    def _cell(self, slot: int, style: str, quoted: bool = False, bold: bool = False) -> Any:
        cell = self._styled.get((slot, style, quoted, bold))
        if cell is None:
            cell = WriteOnlyCell(self.ws)
            if style == "header":
                cell.font = Font(bold=True)
                cell.fill = PatternFill("solid", fgColor="DDEBF7")
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            elif style in NUMBER_FORMATS:
                cell.number_format = NUMBER_FORMATS[style]
            if bold and style != "header":
                cell.font = Font(bold=True)
            if quoted:
                cell.quotePrefix = True
            self._styled[(slot, style, quoted, bold)] = cell
        return cell

    def text(self, slot: int, value: str, style: str = "text", bold: bool = False) -> Any:
        value = clean_text(value)
        quoted = needs_neutralising(value)
        if style == "text" and not quoted and not bold and value not in _XLSX_ERROR_VALUES:
            return value           # a plain string: openpyxl writes it as text already
        cell = self._cell(slot, style, quoted, bold)
        cell.value = value
        cell.data_type = "s"       # never a formula ('=…') or an error value ('#N/A')
        return cell

    def value(self, slot: int, value: Any, kind: str, bold: bool = False) -> Any:
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            return self.text(slot, value, bold=bold)
        if isinstance(value, datetime):
            value = value.replace(tzinfo=None)     # local wall time; Excel has no time zones
        if (kind in NUMBER_FORMATS and isinstance(value, (int, float, date))) or bold:
            cell = self._cell(slot, kind if kind in NUMBER_FORMATS else "plain", bold=bold)
            cell.value = value
            return cell
        return value


def header_row(maker: CellMaker, titles: Sequence[Optional[str]], offset: int = 0) -> List[Any]:
    return [maker.text(offset + i, t, "header") if t is not None else None for i, t in enumerate(titles)]


def add_sheet(wb: Any, sheet: Sheet) -> None:
    """A sheet with frozen header, filter, widths, number formats and the chart's data and chart to the
    right of the table (one empty column between)."""
    ws = wb.create_sheet(sheet.title)
    columns = list(sheet.columns)
    rows = list(sheet.rows)
    ws.freeze_panes = "A2"
    for index, column in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    chart = sheet.chart if sheet.chart and sheet.chart.series and sheet.chart.categories else None
    chart_col = len(columns) + 2
    if chart:
        ws.column_dimensions[get_column_letter(chart_col)].width = 10
        for index in range(len(chart.series)):
            ws.column_dimensions[get_column_letter(chart_col + 1 + index)].width = 14
    ws.auto_filter.ref = "A1:%s%d" % (get_column_letter(len(columns)), len(rows) + 1)

    maker = CellMaker(ws)
    header = header_row(maker, [c.title for c in columns])
    if chart:
        header += [None] + header_row(maker, [chart.x_title] + [name for name, _unused in chart.series],
                                      chart_col - 1)
    ws.append(header)
    width = len(columns)
    lines = max(len(rows), len(chart.categories) if chart else 0)
    for line in range(lines):
        if line < len(rows):
            row = rows[line]
            bold = bool(sheet.emphasis and sheet.emphasis(row))
            cells = [maker.value(i, row.get(c.key), c.kind, bold) for i, c in enumerate(columns)]
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
        bars.title = chart.title
        bars.y_axis.title = chart.y_title
        bars.x_axis.title = chart.x_title
        bars.width, bars.height = 24, 12
        last_row = 1 + len(chart.categories)
        bars.add_data(Reference(ws, min_col=chart_col + 1, max_col=chart_col + len(chart.series), min_row=1,
                                max_row=last_row), titles_from_data=True)
        bars.set_categories(Reference(ws, min_col=chart_col, min_row=2, max_row=last_row))
        ws.add_chart(bars, "%s2" % get_column_letter(chart_col + len(chart.series) + 2))


def add_about_sheet(wb: Any, lines: Sequence[Tuple[str, Any]], title: str = "About") -> None:
    ws = wb.create_sheet(title)
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 100
    maker = CellMaker(ws)
    for label, value in lines:
        cell_value = maker.text(1, value) if isinstance(value, str) else maker.value(1, value, "datetime")
        ws.append([maker.text(0, label, "header"), cell_value])


def require_openpyxl() -> None:
    if OPENPYXL_IMPORT_ERROR is not None:
        raise CanonError("missing_dependency", "XLSX reports need the openpyxl package: %s" % OPENPYXL_IMPORT_ERROR)


def write_xlsx(sheets: Sequence[Sheet], about: Sequence[Tuple[str, Any]] = (), generated_at: Optional[datetime] = None,
               title: str = "Report") -> bytes:
    """One workbook: the sheets in order (put the summary first: Excel opens on it), then an About sheet
    when ``about`` has lines. Deterministic bytes (fixed zip dates; core properties dated
    ``generated_at`` or without dates)."""
    require_openpyxl()
    wb = Workbook(write_only=True)
    for sheet in sheets:
        add_sheet(wb, sheet)
    if about:
        add_about_sheet(wb, about)
    raw = io.BytesIO()
    wb.save(raw)
    return deterministic_zip(raw.getvalue(), generated_at, title)


def _core_properties(generated_at: Optional[datetime], title: str) -> bytes:
    moment = generated_at or datetime(2000, 1, 1, tzinfo=timezone.utc)
    stamp = moment.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)
    props = DocumentProperties(creator="printfleet.canon", title=title, created=stamp, modified=stamp)
    xml = tostring(props.to_tree())
    if generated_at is None:   # both dates are optional in OPC core properties: leave them out
        xml = _CORE_DATES.sub(b"", xml)
    return xml


def deterministic_zip(data: bytes, generated_at: Optional[datetime], title: str = "Report") -> bytes:
    """Re-pack openpyxl's zip: same member order, fixed dates and attributes, fixed core properties."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _core_properties(generated_at, title)
            member = zipfile.ZipInfo(info.filename, date_time=ZIP_EPOCH)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.create_system = 0
            member.external_attr = 0
            target.writestr(member, content)
    return out.getvalue()


def write_if_changed(path: str, data: bytes, check_mode: bool = False) -> bool:
    """Write ``data`` to ``path`` unless it already holds exactly these bytes; True when it differs.

    The writers above are deterministic, so an unchanged report is byte-identical and a re-run is
    ``changed=false``. The file is replaced atomically; in check mode nothing is written.
    """
    try:
        with open(path, "rb") as handle:
            if handle.read() == data:
                return False
    except OSError:
        pass
    if not check_mode:
        tmp = path + ".tmp"
        with open(tmp, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    return True


def write_report_files(dest_dir: str, name: str, rendered: Sequence[Tuple[str, bytes]]) -> Tuple[List[str], bool]:
    """Write (suffix, bytes) pairs as ``<dest_dir>/<name><suffix>``; returns (paths, whether any changed)."""
    os.makedirs(dest_dir, exist_ok=True)
    files, changed = [], False
    for suffix, data in rendered:
        path = os.path.join(dest_dir, name + suffix)
        files.append(path)
        changed = write_if_changed(path, data) or changed
    return files, changed
